"""The SQLite database: one writer connection, a few readers, WAL, foreign keys, short transactions.

Writes go through :meth:`Database.write`, which holds this process's writer lock and an
``IMMEDIATE`` transaction (so writers in other processes wait on SQLite's lock instead of failing
half-way). No transaction is ever held across an LLM call. Reads use their own connections and see
a consistent snapshot thanks to WAL.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from mcp_debate.domain.clock import utc_now
from mcp_debate.store import changes
from mcp_debate.store.migrations import migrate

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


async def rows(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
    """Every row of a query, in one trip to the database thread (a cursor would take three)."""
    return list(await conn.execute_fetchall(sql, params))


async def row(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
    found = await rows(conn, sql, params)
    return found[0] if found else None


async def scalar(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row (None when there is no row)."""
    found = await row(conn, sql, params)
    return None if found is None else found[0]


async def _connect(path: Path, *, read_only: bool) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA foreign_keys = ON")
    # In WAL mode NORMAL keeps every committed transaction across a process crash; only a power
    # loss can take back the last few, and it never corrupts the file.
    await conn.execute("PRAGMA synchronous = NORMAL")
    if read_only:
        await conn.execute("PRAGMA query_only = ON")
    return conn


async def _begin(conn: aiosqlite.Connection, statement: str) -> None:
    """Start a transaction, first dropping one a cancelled block left open.

    A block cancelled while its ``BEGIN`` was queued in the connection's thread returns the connection
    with that transaction still open (nothing written in it: its body never ran). The connection's
    thread runs statements in order, so by the time ours fails that stale transaction is visible.
    """
    try:
        await conn.execute(statement)
    except sqlite3.OperationalError:
        if not conn.in_transaction:
            raise
        logger.info("dropping a transaction left open by a cancelled call")
        await conn.execute("ROLLBACK")
        await conn.execute(statement)


class Database:
    """Connections to one SQLite file, opened by :meth:`open` and closed by :meth:`close`."""

    def __init__(self, path: Path, readers: int = 4) -> None:
        self.path = path
        self._reader_count = readers
        self._writer: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        self.schema_version = 0
        self.on_commit: changes.ChangeListener | None = None
        """Told which debates each committed write changed (see :mod:`mcp_debate.store.changes`)."""

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(self.path, read_only=False)
        mode = await scalar(writer, "PRAGMA journal_mode = WAL")
        if str(mode).lower() != "wal":
            logger.warning("SQLite refused WAL mode (journal_mode=%s); concurrent reads will block", mode)
        self.schema_version = await migrate(writer)
        self._writer = writer
        for _ in range(self._reader_count):
            reader = await _connect(self.path, read_only=True)
            self._all_readers.append(reader)
            self._readers.put_nowait(reader)
        logger.info("database ready", extra={"path": str(self.path), "schema_version": self.schema_version})

    async def close(self) -> None:
        for conn in self._all_readers:
            await conn.close()
        self._all_readers.clear()
        if self._writer is not None:
            await self._writer.close()
            self._writer = None

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; committed when the block ends, rolled back if it raises."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        async with self._write_lock:
            conn = self._writer
            await _begin(conn, "BEGIN IMMEDIATE")
            pending, token = changes.collecting()
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            finally:
                changes.stop_collecting(token)
            await conn.execute("COMMIT")
        if pending and self.on_commit is not None:
            self.on_commit(list(pending.values()))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read connection holding one snapshot for the whole block."""
        conn = await self._readers.get()
        try:
            await _begin(conn, "BEGIN")
            try:
                yield conn
            finally:
                await conn.execute("COMMIT")
        finally:
            self._readers.put_nowait(conn)

    async def probe_write(self) -> None:
        """A real write, for readiness: proves the file and its folder are writable."""
        async with self.write() as conn:
            await conn.execute(
                "INSERT INTO heartbeat (id, at) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                (utc_now(),),
            )

"""The SQLite store: one writer connection, a few readers, WAL, foreign keys, short transactions.

Writes hold this process's writer lock and an ``IMMEDIATE`` transaction (so writers in other
processes wait on SQLite's lock instead of failing half-way). Reads use their own connections and
see a consistent snapshot thanks to WAL.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from mcp_debate.store.connection import ConstraintError, Dialect, Row
from mcp_debate.store.database import Database
from mcp_debate.store.migrations import migrate

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


class SqliteConnection:
    """An aiosqlite connection seen through :class:`~mcp_debate.store.connection.Connection`."""

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self.raw = raw

    @property
    def dialect(self) -> Dialect:
        return "sqlite"

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        try:
            await self.raw.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            raise ConstraintError(str(exc)) from exc

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        try:
            await self.raw.executemany(sql, params)
        except sqlite3.IntegrityError as exc:
            raise ConstraintError(str(exc)) from exc

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row in one trip to the database thread (a cursor would take three)."""
        try:
            return list(await self.raw.execute_fetchall(sql, params))
        except sqlite3.IntegrityError as exc:
            raise ConstraintError(str(exc)) from exc


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


class SqliteDatabase(Database):
    """Connections to one SQLite file."""

    dialect: Dialect = "sqlite"

    def __init__(self, path: Path, readers: int = 4) -> None:
        super().__init__()
        self.path = path
        self._reader_count = readers
        self._writer: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(self.path, read_only=False)
        found = await writer.execute_fetchall("PRAGMA journal_mode = WAL")
        mode = next(iter(found))[0]
        if str(mode).lower() != "wal":
            logger.warning("SQLite refused WAL mode (journal_mode=%s); concurrent reads will block", mode)
        self._writer = writer
        self.schema_version = await migrate(self)
        for _ in range(self._reader_count):
            reader = await _connect(self.path, read_only=True)
            self._all_readers.append(reader)
            self._readers.put_nowait(reader)
        logger.info("database ready", extra={"path": str(self.path), "schema_version": self.schema_version})

    def where(self) -> dict[str, str]:
        return {"engine": "sqlite", "path": str(self.path)}

    async def close(self) -> None:
        for conn in self._all_readers:
            await conn.close()
        self._all_readers.clear()
        if self._writer is not None:
            await self._writer.close()
            self._writer = None

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[SqliteConnection]:
        if self._writer is None:
            raise RuntimeError("database is not open")
        async with self._write_lock:
            conn = self._writer
            await _begin(conn, "BEGIN IMMEDIATE")
            try:
                yield SqliteConnection(conn)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqliteConnection]:
        conn = await self._readers.get()
        try:
            await _begin(conn, "BEGIN")
            try:
                yield SqliteConnection(conn)
            finally:
                await conn.execute("COMMIT")
        finally:
            self._readers.put_nowait(conn)

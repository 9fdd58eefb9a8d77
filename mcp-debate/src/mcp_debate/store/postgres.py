"""The PostgreSQL store, for several mcp-debate replicas sharing one database (driver: asyncpg).

Write transactions take one transaction-scoped advisory lock, so writers are serialized across
every replica exactly as SQLite serializes them: the repositories' read-then-write steps (the next
``seq``, the state checks before a turn commits) stay correct under PostgreSQL's READ COMMITTED
without retry loops. Writes are short and never span an LLM call, so one lock costs little. Reads
run in ``REPEATABLE READ READ ONLY`` transactions: one snapshot for the whole block.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from mcp_debate.store.connection import ConstraintError, Dialect, Row
from mcp_debate.store.database import Database
from mcp_debate.store.migrations import migrate

logger = logging.getLogger(__name__)

WRITE_LOCK_KEY = 0x6D6370_6462  # "mcpdb": the advisory lock every write transaction holds

_PLACEHOLDER_OR_LITERAL = re.compile(r"'(?:[^']|'')*'|\?")


def numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2, …`` (question marks inside string literals kept)."""
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) != "?":
            return match.group(0)
        count += 1
        return f"${count}"

    return _PLACEHOLDER_OR_LITERAL.sub(replace, sql)


class PostgresConnection:
    """An asyncpg connection seen through :class:`~mcp_debate.store.connection.Connection`."""

    def __init__(self, raw: asyncpg.Connection) -> None:
        self.raw = raw

    @property
    def dialect(self) -> Dialect:
        return "postgres"

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        try:
            await self.raw.execute(numbered(sql), *params)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise ConstraintError(str(exc)) from exc

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        try:
            await self.raw.executemany(numbered(sql), list(params))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise ConstraintError(str(exc)) from exc

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return list(await self.raw.fetch(numbered(sql), *params))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise ConstraintError(str(exc)) from exc


class PostgresDatabase(Database):
    """A pool of connections to one PostgreSQL database."""

    dialect: Dialect = "postgres"

    def __init__(self, url: str, readers: int = 4) -> None:
        super().__init__()
        self.url = url
        self._size = readers + 2  # the readers, a writer, and one for the lease heartbeats
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=self._size)
        self.schema_version = await migrate(self)
        logger.info("database ready", extra={"engine": "postgresql", "schema_version": self.schema_version})

    def where(self) -> dict[str, str]:
        address = urlsplit(self.url)
        return {"engine": "postgresql", "host": address.hostname or "", "database": address.path.lstrip("/")}

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def _require_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("database is not open")
        return self._pool

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[PostgresConnection]:
        async with self._require_pool().acquire() as raw, raw.transaction():
            await raw.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK_KEY)
            yield PostgresConnection(raw)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[PostgresConnection]:
        async with (
            self._require_pool().acquire() as raw,
            raw.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield PostgresConnection(raw)

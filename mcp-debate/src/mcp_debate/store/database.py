"""The store interface: transactions on one database, whichever engine keeps it.

Two implementations: :class:`~mcp_debate.store.sqlite.SqliteDatabase` (the embedded default, one
file) and :class:`~mcp_debate.store.postgres.PostgresDatabase` (for several replicas). Both give
the same guarantees the orchestration relies on: write transactions are serialized (across
processes too), a read block sees one consistent snapshot, and no transaction is ever held across
an LLM call.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from mcp_debate.domain.clock import utc_now
from mcp_debate.store import changes
from mcp_debate.store.connection import Connection, Dialect


class Database(abc.ABC):
    """Connections to one database, opened by :meth:`open` and closed by :meth:`close`."""

    dialect: Dialect

    def __init__(self) -> None:
        self.schema_version = 0
        self.on_commit: changes.ChangeListener | None = None
        """Told which debates each committed write changed (see :mod:`mcp_debate.store.changes`)."""

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema to the latest version."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    def where(self) -> dict[str, str]:
        """Where the data lives, for health checks and logs (never a password)."""

    @abc.abstractmethod
    def _transaction(self) -> AbstractAsyncContextManager[Connection]:
        """One exclusive write transaction, committed when the block ends, rolled back if it raises."""

    @abc.abstractmethod
    def read(self) -> AbstractAsyncContextManager[Connection]:
        """A read-only connection holding one snapshot for the whole block."""

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Connection]:
        """One write transaction; listeners hear of the debates it changed once it has committed."""
        async with self._transaction() as conn:
            pending, token = changes.collecting()
            try:
                yield conn
            finally:
                changes.stop_collecting(token)
        if pending and self.on_commit is not None:
            self.on_commit(list(pending.values()))

    async def probe_write(self) -> None:
        """A real write, for readiness: proves the database accepts writes."""
        async with self.write() as conn:
            await conn.execute(
                "INSERT INTO heartbeat (id, at) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                (utc_now(),),
            )


def make_database(url: str | None, path: Path, readers: int) -> Database:
    """PostgreSQL when ``url`` is a ``postgresql://`` address, else the SQLite file at ``path``."""
    if url:
        from mcp_debate.store.postgres import PostgresDatabase  # imported only when used

        return PostgresDatabase(url, readers=readers)
    from mcp_debate.store.sqlite import SqliteDatabase

    return SqliteDatabase(path, readers=readers)

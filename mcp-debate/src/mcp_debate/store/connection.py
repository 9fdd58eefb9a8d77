"""What the repositories need from a database connection, whichever database it is.

The repository modules (debates, messages, ...) write portable SQL with ``?`` placeholders and call
only the three methods below; each store turns that into its driver's calls. The few places where
the SQL dialects differ ask :attr:`Connection.dialect` explicitly instead of hiding the difference.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgres"]


class ConstraintError(Exception):
    """A write broke a constraint (unique, foreign key, check), whichever database refused it."""


class Row(Protocol):
    """A result row: by column name or by position (sqlite3.Row and asyncpg.Record both are)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """One connection inside a transaction opened by ``Database.read()`` or ``Database.write()``."""

    @property
    def dialect(self) -> Dialect: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None: ...

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


async def rows(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[Row]:
    """Every row of a query."""
    return await conn.fetch(sql, params)


async def row(conn: Connection, sql: str, params: Sequence[Any] = ()) -> Row | None:
    found = await conn.fetch(sql, params)
    return found[0] if found else None


async def scalar(conn: Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row (None when there is no row)."""
    found = await row(conn, sql, params)
    return None if found is None else found[0]

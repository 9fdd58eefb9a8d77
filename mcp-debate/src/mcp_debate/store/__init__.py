"""Storage: one interface (:class:`Database`), SQLite and PostgreSQL behind it, versioned migrations
and one repository module per table."""

from mcp_debate.store.connection import ConstraintError
from mcp_debate.store.database import Database, make_database

__all__ = ["ConstraintError", "Database", "make_database"]

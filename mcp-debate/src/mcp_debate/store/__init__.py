"""SQLite storage: the connection pool, versioned migrations and one repository module per table."""

from mcp_debate.store.database import Database

__all__ = ["Database"]

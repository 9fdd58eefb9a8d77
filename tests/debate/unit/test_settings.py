"""mcp-debate's storage and lease settings: bad values are refused naming the setting, never echoed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mcp_debate.settings import DebateSettings
from mcp_debate.store import make_database
from mcp_debate.store.postgres import PostgresDatabase
from mcp_debate.store.sqlite import SqliteDatabase


def settings(**values: object) -> DebateSettings:
    return DebateSettings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def test_without_a_url_the_sqlite_file_is_the_store() -> None:
    chosen = settings()
    db = make_database(None, chosen.database_path, chosen.database_readers)
    assert isinstance(db, SqliteDatabase) and db.where()["engine"] == "sqlite"


def test_a_postgresql_url_selects_postgresql_and_its_password_is_never_shown() -> None:
    chosen = settings(database_url="postgresql://team:s3cret-pw@db.internal:5432/debates")
    assert chosen.database_url is not None
    assert "s3cret-pw" not in repr(chosen)
    db = make_database(chosen.database_url.get_secret_value(), chosen.database_path, 4)
    assert isinstance(db, PostgresDatabase)
    assert db.where() == {"engine": "postgresql", "host": "db.internal", "database": "debates"}


def test_another_kind_of_url_is_refused_without_repeating_it() -> None:
    with pytest.raises(ValidationError) as raised:
        settings(database_url="mysql://team:s3cret-pw@db/debates")
    assert "database_url" in str(raised.value) and "s3cret-pw" not in str(raised.value)


def test_a_heartbeat_as_slow_as_the_lease_is_refused() -> None:
    with pytest.raises(ValidationError, match="LEASE_HEARTBEAT must be below LEASE_DURATION"):
        settings(lease_duration=10, lease_heartbeat=10)
    assert settings(lease_duration=10, lease_heartbeat=3).lease_heartbeat == 3

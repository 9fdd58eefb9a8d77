"""Storage on both stores, a real SQLite file and a real PostgreSQL server: migrations, constraints,
parameters, transactions. The same tests run against each (the ``db`` fixture is parametrized)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from mcp_debate.domain.models import Debate
from mcp_debate.domain.states import DebateState
from mcp_debate.store import ConstraintError, Database
from mcp_debate.store import debates as debate_rows
from mcp_debate.store import messages as message_rows
from mcp_debate.store.connection import scalar
from mcp_debate.store.migrations import LATEST_VERSION, MIGRATIONS, SchemaTooNewError
from mcp_debate.store.postgres import PostgresDatabase, numbered
from mcp_debate.store.sqlite import SqliteDatabase
from tests.debate.unit.factories import NOW, participant
from tests.postgres import PostgresServer

HOSTILE = "Robert'); DROP TABLE debates; --"


def a_debate(debate_id: str = "deb_1", name: str = "Test") -> Debate:
    return Debate(
        id=debate_id,
        name=name,
        topic=HOSTILE,
        rules=[HOSTILE],
        max_rounds=2,
        state=DebateState.CREATED,
        turns_taken=0,
        created_at=NOW,
        updated_at=NOW,
        participants=[participant(0, "Pro", "for"), participant(1, HOSTILE, None)],
    )


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    database: Database
    if request.param == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        database = PostgresDatabase(server.create_database(), readers=2)
    else:
        database = SqliteDatabase(tmp_path / "sub" / "debates.db", readers=2)
    await database.open()
    yield database
    await database.close()


def same_database(db: Database) -> Database:
    """Another handle on the database ``db`` uses, as a second process would open it."""
    if isinstance(db, PostgresDatabase):
        return PostgresDatabase(db.url)
    assert isinstance(db, SqliteDatabase)
    return SqliteDatabase(db.path)


async def test_opening_creates_the_folder_migrates_and_sets_wal_and_foreign_keys(db: Database) -> None:
    if not isinstance(db, SqliteDatabase):
        pytest.skip("SQLite's file and pragmas")
    assert db.path.exists()
    assert db.schema_version == LATEST_VERSION
    async with db.read() as conn:
        assert await scalar(conn, "PRAGMA journal_mode") == "wal"
        assert await scalar(conn, "PRAGMA foreign_keys") == 1
        rows = await conn.fetch("SELECT version FROM schema_migrations")
        assert [r[0] for r in rows] == list(range(1, LATEST_VERSION + 1))


async def test_every_migration_is_recorded_once(db: Database) -> None:
    assert db.schema_version == LATEST_VERSION
    async with db.read() as conn:
        rows = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
    assert [r[0] for r in rows] == list(range(1, LATEST_VERSION + 1))


async def test_two_processes_opening_at_once_migrate_once(db: Database) -> None:
    others = [same_database(db) for _ in range(3)]
    await asyncio.gather(*(other.open() for other in others))
    try:
        assert {other.schema_version for other in others} == {LATEST_VERSION}
    finally:
        for other in others:
            await other.close()


def test_placeholders_are_numbered_outside_string_literals() -> None:
    assert numbered("SELECT ? WHERE a = '?' AND b = 'it''s ?' AND c = ?") == (
        "SELECT $1 WHERE a = '?' AND b = 'it''s ?' AND c = $2"
    )


async def test_migrating_again_changes_nothing(db: Database, tmp_path: Path) -> None:
    async with db.write() as conn:
        await debate_rows.insert(conn, a_debate())
    again = same_database(db)
    await again.open()
    try:
        assert again.schema_version == LATEST_VERSION
        async with again.read() as conn:
            assert (await debate_rows.get(conn, "deb_1")) is not None
    finally:
        await again.close()


async def test_a_database_from_a_newer_version_is_refused(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', ?)",
            (LATEST_VERSION + 1, NOW),
        )
    newer = same_database(db)
    with pytest.raises(SchemaTooNewError, match="newer than this mcp-debate"):
        await newer.open()
    await newer.close()


async def test_values_are_bound_never_spliced(db: Database) -> None:
    async with db.write() as conn:
        await debate_rows.insert(conn, a_debate())
    async with db.read() as conn:
        stored = await debate_rows.get(conn, "deb_1")
    assert stored is not None
    assert stored.topic == HOSTILE and stored.rules == [HOSTILE]
    assert stored.participants[1].name == HOSTILE


async def test_one_message_per_turn_whoever_writes_it(db: Database) -> None:
    async with db.write() as conn:
        await debate_rows.insert(conn, a_debate())
    fields = {
        "debate_id": "deb_1",
        "kind": "turn",
        "speaker": "Pro",
        "content": "a",
        "round": 1,
        "turn": 1,
        "participant": 0,
    }
    async with db.write() as conn:
        first = await message_rows.insert(conn, **fields)  # type: ignore[arg-type]
    with pytest.raises(ConstraintError):
        async with db.write() as conn:
            await message_rows.insert(conn, **{**fields, "content": "b"})  # type: ignore[arg-type]
    async with db.read() as conn:
        assert [m.content for m in await message_rows.page(conn, "deb_1")] == ["a"]
    assert first.seq == 1


async def test_constraints_reject_inconsistent_rows(db: Database) -> None:
    async with db.write() as conn:
        await debate_rows.insert(conn, a_debate())
    bad = [
        # a turn of a participant that does not exist (foreign key)
        {"kind": "turn", "round": 1, "turn": 1, "participant": 9},
        # a turn without its round
        {"kind": "turn", "round": None, "turn": 1, "participant": 0},
        # an added message that claims a turn
        {"kind": "external", "round": 1, "turn": 1, "participant": 0},
    ]
    for extra in bad:
        with pytest.raises(ConstraintError):
            async with db.write() as conn:
                await message_rows.insert(conn, debate_id="deb_1", speaker="x", content="y", **extra)  # type: ignore[arg-type]
    with pytest.raises(ConstraintError):
        async with db.write() as conn:
            await conn.execute("UPDATE debates SET state = 'sleeping' WHERE id = 'deb_1'")
    with pytest.raises(ConstraintError):  # participant names are unique per debate, whatever the case
        async with db.write() as conn:
            await debate_rows.insert(
                conn,
                a_debate("deb_2").model_copy(
                    update={"participants": [participant(0, "Pro", None), participant(1, "pro", None)]}
                ),
            )
    async with db.read() as conn:
        assert await message_rows.count(conn, "deb_1") == 0
        assert await debate_rows.get(conn, "deb_2") is None  # the whole transaction rolled back


async def test_a_failed_transaction_leaves_nothing_behind(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            await debate_rows.insert(conn, a_debate())
            raise RuntimeError("crash between statements")
    async with db.read() as conn:
        assert await debate_rows.get(conn, "deb_1") is None


async def test_sequence_numbers_stay_unique_under_concurrent_writers(db: Database) -> None:
    async with db.write() as conn:
        await debate_rows.insert(conn, a_debate())

    async def add(i: int) -> None:
        async with db.write() as conn:
            await message_rows.insert(conn, debate_id="deb_1", kind="external", speaker="M", content=str(i))

    await asyncio.gather(*(add(i) for i in range(40)))
    async with db.read() as conn:
        seqs = [m.seq for m in await message_rows.page(conn, "deb_1")]
    assert seqs == list(range(1, 41))


async def test_deleting_a_debate_cascades(db: Database) -> None:
    async with db.write() as conn:
        await debate_rows.insert(conn, a_debate())
        await message_rows.insert(conn, debate_id="deb_1", kind="external", speaker="M", content="x")
    async with db.write() as conn:
        await conn.execute("DELETE FROM debates WHERE id = ?", ("deb_1",))
    async with db.read() as conn:
        assert await message_rows.count(conn, "deb_1") == 0
        assert await scalar(conn, "SELECT COUNT(*) FROM participants") == 0


async def test_a_read_cancelled_while_it_begins_leaves_no_open_transaction_behind(db: Database) -> None:
    """A caller that goes away (a cancelled MCP request) mid-BEGIN must not poison the reader it held."""
    async with db.write() as conn:
        await debate_rows.insert(conn, a_debate())

    async def reader(entered: asyncio.Event) -> None:
        entered.set()
        async with db.read() as conn:
            await debate_rows.get(conn, "deb_1")

    for _ in range(20):  # cancel at every early point of the block, on both readers
        entered = asyncio.Event()
        task = asyncio.create_task(reader(entered))
        await entered.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        for _ in range(2):
            async with db.read() as conn:
                assert await debate_rows.organization_of(conn, "deb_1") == "default"


async def test_debates_stored_before_organizations_existed_belong_to_the_default_one(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    with sqlite3.connect(path) as conn:  # a database as the first released schema left it
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)"
        )
        for statement in MIGRATIONS[0].statements:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (1, 'v1', ?)", (NOW,))
        conn.execute(
            "INSERT INTO debates (id, name, topic, rules, max_rounds, state, created_at, updated_at) "
            "VALUES ('deb_old', 'Old', 'Topic', '[]', 1, 'created', ?, ?)",
            (NOW, NOW),
        )
    db = SqliteDatabase(path)
    await db.open()
    try:
        assert db.schema_version == LATEST_VERSION
        async with db.read() as conn:
            assert (await debate_rows.get(conn, "deb_old")).organization_id == "default"  # type: ignore[union-attr]
            items, total = await debate_rows.list_page(conn, "default", None, 10, 0)
            assert total == 1 and items[0].id == "deb_old"
            assert await debate_rows.list_page(conn, "acme", None, 10, 0) == ([], 0)
    finally:
        await db.close()

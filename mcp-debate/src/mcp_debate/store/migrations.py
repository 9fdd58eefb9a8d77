"""Versioned schema migrations, applied in order at start-up, each in its own transaction.

A migration is never edited once released: a change to the schema is a new entry at the end.
Two processes starting at once are serialized by the exclusive write transaction and each version
is checked again inside it, so it is applied exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcp_debate.domain.clock import utc_now
from mcp_debate.store.connection import Connection, Dialect

if TYPE_CHECKING:
    from mcp_debate.store.database import Database


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


_V1 = Migration(
    1,
    "debates, participants, messages, summaries, context snapshots",
    (
        """
        CREATE TABLE debates (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            topic TEXT NOT NULL,
            rules TEXT NOT NULL,
            max_rounds INTEGER NOT NULL CHECK (max_rounds >= 1),
            state TEXT NOT NULL
                CHECK (state IN ('created', 'running', 'paused', 'completed', 'cancelled', 'failed')),
            turns_taken INTEGER NOT NULL DEFAULT 0 CHECK (turns_taken >= 0),
            run_target INTEGER,
            last_error TEXT,
            summarizer TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX debates_by_created ON debates (created_at)",
        "CREATE INDEX debates_by_state ON debates (state)",
        """
        CREATE TABLE participants (
            debate_id TEXT NOT NULL REFERENCES debates (id) ON DELETE CASCADE,
            position INTEGER NOT NULL CHECK (position >= 0),
            name TEXT NOT NULL COLLATE NOCASE CHECK (length(trim(name)) > 0),
            stance TEXT,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            system_prompt TEXT,
            temperature REAL NOT NULL,
            max_tokens INTEGER NOT NULL,
            max_output_tokens INTEGER NOT NULL,
            context_window INTEGER,
            PRIMARY KEY (debate_id, position),
            UNIQUE (debate_id, name)
        )
        """,
        """
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            debate_id TEXT NOT NULL REFERENCES debates (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL CHECK (seq >= 1),
            kind TEXT NOT NULL CHECK (kind IN ('turn', 'external')),
            round INTEGER,
            turn INTEGER,
            participant INTEGER,
            speaker TEXT NOT NULL,
            content TEXT NOT NULL,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            latency_ms REAL NOT NULL DEFAULT 0,
            provider TEXT,
            model TEXT,
            finish_reason TEXT,
            cached INTEGER NOT NULL DEFAULT 0,
            request_id TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (debate_id, seq),
            UNIQUE (debate_id, turn),
            CHECK ((kind = 'turn') = (turn IS NOT NULL AND round IS NOT NULL AND participant IS NOT NULL)),
            FOREIGN KEY (debate_id, participant) REFERENCES participants (debate_id, position)
        )
        """,
        """
        CREATE TABLE summaries (
            id INTEGER PRIMARY KEY,
            debate_id TEXT NOT NULL REFERENCES debates (id) ON DELETE CASCADE,
            scope TEXT NOT NULL CHECK (scope IN ('context', 'debate')),
            participant INTEGER,
            covers_from_seq INTEGER NOT NULL,
            covers_to_seq INTEGER NOT NULL,
            message_count INTEGER NOT NULL,
            sides TEXT NOT NULL,
            narrative TEXT NOT NULL,
            content TEXT NOT NULL,
            provider TEXT,
            model TEXT,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            latency_ms REAL NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            CHECK (covers_to_seq >= covers_from_seq),
            CHECK ((scope = 'context') = (participant IS NOT NULL)),
            FOREIGN KEY (debate_id, participant) REFERENCES participants (debate_id, position)
        )
        """,
        "CREATE INDEX summaries_latest ON summaries (debate_id, scope, participant, covers_to_seq)",
        """
        CREATE TABLE context_snapshots (
            debate_id TEXT NOT NULL REFERENCES debates (id) ON DELETE CASCADE,
            turn INTEGER NOT NULL,
            participant INTEGER NOT NULL,
            summary_id INTEGER REFERENCES summaries (id),
            first_seq INTEGER,
            last_seq INTEGER,
            message_count INTEGER NOT NULL,
            tokens INTEGER NOT NULL,
            token_method TEXT NOT NULL,
            budget INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (debate_id, turn),
            FOREIGN KEY (debate_id, participant) REFERENCES participants (debate_id, position)
        )
        """,
        "CREATE TABLE heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL)",
    ),
)

_V2 = Migration(
    2,
    "debates owned by an organization",
    (
        # Debates made before authentication existed belong to the default organization, as every
        # debate does while authentication is off.
        "ALTER TABLE debates ADD COLUMN organization_id TEXT NOT NULL DEFAULT 'default'",
        "CREATE INDEX debates_by_organization ON debates (organization_id, created_at)",
    ),
)

_V3 = Migration(
    3,
    "protocols: roles, verdicts, answers, budgets",
    (
        "ALTER TABLE debates ADD COLUMN protocol TEXT NOT NULL DEFAULT 'rounds' "
        "CHECK (protocol IN ('rounds', 'vote', 'judged'))",
        "ALTER TABLE debates ADD COLUMN visibility TEXT NOT NULL DEFAULT 'all' "
        "CHECK (visibility IN ('all', 'independent_first', 'answers_only'))",
        "ALTER TABLE debates ADD COLUMN stop_on_consensus INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE debates ADD COLUMN answer_format TEXT",
        "ALTER TABLE debates ADD COLUMN budget_usd REAL CHECK (budget_usd IS NULL OR budget_usd > 0)",
        "ALTER TABLE debates ADD COLUMN budget_tokens INTEGER "
        "CHECK (budget_tokens IS NULL OR budget_tokens > 0)",
        # debate: rounds under way; closing: the rounds are over and the judge's verdict is due.
        "ALTER TABLE debates ADD COLUMN phase TEXT NOT NULL DEFAULT 'debate' "
        "CHECK (phase IN ('debate', 'closing'))",
        # Why the rounds ended; cancelled and failed are read from the state.
        "ALTER TABLE debates ADD COLUMN end_reason TEXT "
        "CHECK (end_reason IN ('completed', 'consensus', 'moderator', 'budget_exhausted'))",
        "ALTER TABLE debates ADD COLUMN verdict TEXT",
        # Each debater's latest readable final answer: the vote so far (JSON), kept with every turn.
        "ALTER TABLE debates ADD COLUMN ballots TEXT NOT NULL DEFAULT '[]'",
        # Debates that completed before protocols existed ran to their last round.
        "UPDATE debates SET end_reason = 'completed' WHERE state = 'completed'",
        "ALTER TABLE participants ADD COLUMN role TEXT NOT NULL DEFAULT 'debater' "
        "CHECK (role IN ('debater', 'judge', 'moderator'))",
        "ALTER TABLE participants ADD COLUMN input_price REAL",
        "ALTER TABLE participants ADD COLUMN output_price REAL",
        "ALTER TABLE messages ADD COLUMN answer TEXT",
        "ALTER TABLE messages ADD COLUMN structured TEXT",
        "ALTER TABLE messages ADD COLUMN calls INTEGER NOT NULL DEFAULT 1 CHECK (calls >= 0)",
    ),
)

_V4 = Migration(
    4,
    "leases: which process runs a turn, which drives a run",
    (
        # name: 'turn:<debate>:<turn>' or 'run:<debate>'; expires_at: seconds since the epoch by the
        # database's clock, so replicas never compare their own clocks.
        "CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at REAL NOT NULL)",
    ),
)

_V5 = Migration(
    5,
    "context snapshots keep the messages sent; summaries count their calls; stance checks",
    (
        "ALTER TABLE context_snapshots ADD COLUMN messages TEXT",
        # A summary made in chunks, or re-asked, is several LLM calls.
        "ALTER TABLE summaries ADD COLUMN calls INTEGER NOT NULL DEFAULT 1 CHECK (calls >= 0)",
        "ALTER TABLE debates ADD COLUMN stance_check INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE messages ADD COLUMN stance_check TEXT",
    ),
)

_V6 = Migration(
    6,
    "episode ids: every mcp-llm call of a debate names its episode (experiments keep it on one variant)",
    ("ALTER TABLE debates ADD COLUMN episode_id TEXT",),
)

_V7 = Migration(
    7,
    "turns and summaries keep the vendor's prompt-cache reads, writes and saving",
    tuple(
        f"ALTER TABLE {table} ADD COLUMN {column}"
        for table in ("messages", "summaries")
        for column in (
            "cache_read_tokens INTEGER NOT NULL DEFAULT 0",
            "cache_write_tokens INTEGER NOT NULL DEFAULT 0",
            "cache_saving_usd REAL NOT NULL DEFAULT 0",
        )
    ),
)

MIGRATIONS: tuple[Migration, ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7)
LATEST_VERSION = MIGRATIONS[-1].version


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer mcp-debate; refusing to run on it."""


# PostgreSQL has no built-in case-insensitive collation like SQLite's NOCASE; this ICU one (strength
# "secondary": case ignored, accents not) keeps participant names unique whatever their case.
_POSTGRES_PRELUDE = (
    "CREATE COLLATION IF NOT EXISTS nocase "
    "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
)


def for_dialect(statement: str, dialect: Dialect) -> str:
    """A migration statement as ``dialect`` spells it; the statements are written in SQLite's SQL.

    The differences are few and listed here: an auto-numbered key (SQLite's ``INTEGER PRIMARY KEY``
    is a 64-bit rowid) and 8-byte floats (PostgreSQL's ``REAL`` has only 4 bytes).
    """
    if dialect == "sqlite":
        return statement
    return statement.replace(
        "INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    ).replace(" REAL", " DOUBLE PRECISION")


async def applied_versions(conn: Connection) -> list[int]:
    return [row[0] for row in await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")]


async def migrate(db: Database) -> int:
    """Bring the schema to the latest version; returns the version the database is at.

    Each step runs in a write transaction, which is exclusive on both stores, so processes starting
    together apply every migration exactly once.
    """
    async with db.write() as conn:
        for statement in _POSTGRES_PRELUDE if db.dialect == "postgres" else ():
            await conn.execute(statement)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        known = await applied_versions(conn)
    if known and known[-1] > LATEST_VERSION:
        raise SchemaTooNewError(
            f"database schema is at version {known[-1]}, newer than this mcp-debate knows ({LATEST_VERSION})"
        )
    for migration in MIGRATIONS:
        async with db.write() as conn:
            done = await conn.fetch("SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,))
            if not done:
                for statement in migration.statements:
                    await conn.execute(for_dialect(statement, db.dialect))
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, utc_now()),
                )
    async with db.write() as conn:  # the readers open after the migrations
        return (await applied_versions(conn))[-1]

"""Where batch jobs live between polls and across restarts: Redis when ``REDIS_URL`` is set (shared by
every replica), else a SQLite file (``BATCH_STORE_PATH``).

Two operations are atomic, because several pollers (two replicas, or one process before and after a
restart) may look at the same job:

- ``lease``: a job is due when its ``next_poll_at`` has passed; leasing it moves ``next_poll_at`` to the
  lease's end only if it is still due, so one poller at a time polls (or runs) it. A poller that dies
  holding a lease simply lets it run out.
- ``finish``: the one transition from unfinished to finished. Exactly one caller wins it, and only the
  winner bills the job's usage, so results are ingested once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import aiosqlite

from mcp_llm.batch_jobs.model import BatchJob


class JobStore(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def create(self, job: BatchJob, next_poll_at: float, max_active: int) -> bool:
        """Store a new job unless its organization already has ``max_active`` unfinished ones."""

    async def get(self, job_id: str) -> BatchJob | None: ...

    async def save(self, job: BatchJob, next_poll_at: float) -> bool:
        """Update an unfinished job (False, and nothing written, once it has finished)."""

    async def finish(self, job: BatchJob) -> bool:
        """Write the finished job; True for the one caller that moved it from unfinished to finished."""

    async def delete(self, job_id: str) -> None: ...

    async def due(self, now: float, limit: int) -> list[str]:
        """Ids of unfinished jobs whose next poll time has passed."""

    async def lease(self, job_id: str, now: float, until: float) -> bool:
        """Take a due job until ``until``; False when it is not due (another poller has it, or it ended)."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS batch_jobs (
    id TEXT PRIMARY KEY,
    organization TEXT NOT NULL,
    final INTEGER NOT NULL DEFAULT 0,
    next_poll_at REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS batch_jobs_due ON batch_jobs (final, next_poll_at);
CREATE INDEX IF NOT EXISTS batch_jobs_org ON batch_jobs (organization, final);
"""


class SqliteJobStore:
    """One row per job: the job as JSON plus the columns the atomic updates test."""

    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None

    async def start(self) -> None:
        """Opens an existing file (its unfinished jobs are polled again); a service that never had a
        batch job leaves no file behind: :meth:`create` makes it on the first submission."""
        if self.path.exists():
            await self._open()

    async def _open(self) -> aiosqlite.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(self.path, timeout=10)
            await db.execute("PRAGMA journal_mode=WAL")
            await db.executescript(_SCHEMA)
            await db.commit()
            self._db = db
        return self._db

    async def stop(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        assert self._db is not None, "the store is started with the service"
        return self._db

    async def create(self, job: BatchJob, next_poll_at: float, max_active: int) -> bool:
        cursor = await (await self._open()).execute(
            "INSERT INTO batch_jobs (id, organization, final, next_poll_at, data) "
            "SELECT ?, ?, 0, ?, ? "
            "WHERE (SELECT COUNT(*) FROM batch_jobs WHERE organization = ? AND final = 0) < ?",
            (job.id, job.organization, next_poll_at, job.model_dump_json(), job.organization, max_active),
        )
        await self.db.commit()
        return cursor.rowcount == 1

    async def get(self, job_id: str) -> BatchJob | None:
        if self._db is None:
            return None  # no job was ever stored
        async with self.db.execute("SELECT data FROM batch_jobs WHERE id = ?", (job_id,)) as cursor:
            row = await cursor.fetchone()
        return BatchJob.model_validate_json(row[0]) if row else None

    async def save(self, job: BatchJob, next_poll_at: float) -> bool:
        cursor = await self.db.execute(
            "UPDATE batch_jobs SET data = ?, next_poll_at = ? WHERE id = ? AND final = 0",
            (job.model_dump_json(), next_poll_at, job.id),
        )
        await self.db.commit()
        return cursor.rowcount == 1

    async def finish(self, job: BatchJob) -> bool:
        cursor = await self.db.execute(
            "UPDATE batch_jobs SET data = ?, final = 1 WHERE id = ? AND final = 0",
            (job.model_dump_json(), job.id),
        )
        await self.db.commit()
        return cursor.rowcount == 1

    async def delete(self, job_id: str) -> None:
        await self.db.execute("DELETE FROM batch_jobs WHERE id = ?", (job_id,))
        await self.db.commit()

    async def due(self, now: float, limit: int) -> list[str]:
        if self._db is None:
            return []
        async with self.db.execute(
            "SELECT id FROM batch_jobs WHERE final = 0 AND next_poll_at <= ? ORDER BY next_poll_at LIMIT ?",
            (now, limit),
        ) as cursor:
            return [row[0] async for row in cursor]

    async def lease(self, job_id: str, now: float, until: float) -> bool:
        cursor = await self.db.execute(
            "UPDATE batch_jobs SET next_poll_at = ? WHERE id = ? AND final = 0 AND next_poll_at <= ?",
            (until, job_id, now),
        )
        await self.db.commit()
        return cursor.rowcount == 1

"""Leases held by this process: claimed in the database, kept alive by a heartbeat, released at the end.

Several mcp-debate replicas can share one PostgreSQL database. Before a replica calls the LLM for a
turn it claims ``turn:<debate>:<turn>``; another replica asked for the same turn waits for that
turn's message instead of paying for a second call (:func:`run_leased_turn`). A replica driving a run
holds ``run:<debate>``; when a replica dies its leases stop being renewed, and once they expire
another replica claims them: the turn is run again, the run is driven on (:class:`RunSweeper` in
:mod:`mcp_debate.orchestration.runs`). With SQLite (one process) the same logic runs in the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from mcp_debate.orchestration.lookup import require_debate
from mcp_debate.store import Database
from mcp_debate.store import leases as lease_rows

logger = logging.getLogger(__name__)

T = TypeVar("T")

WAIT_POLL = 0.2
"""Seconds between two looks at a turn another replica runs (its message, or its lease gone)."""


class Leases:
    """This process's claims; ``holder`` names the process in the database."""

    def __init__(self, db: Database, duration: float = 30.0, heartbeat: float = 10.0) -> None:
        self.db = db
        self.duration = duration
        self.heartbeat = heartbeat
        self.holder = f"replica-{uuid.uuid4().hex[:12]}"

    async def claim(self, name: str) -> bool:
        async with self.db.write() as conn:
            return await lease_rows.claim(conn, name, self.holder, self.duration)

    async def release(self, name: str) -> None:
        async with self.db.write() as conn:
            await lease_rows.release(conn, name, self.holder)

    async def clear(self) -> None:
        async with self.db.write() as conn:
            await lease_rows.clear(conn)

    async def _beat(self, name: str) -> None:
        """Renew every ``heartbeat`` seconds; a lease lost meanwhile is claimed back once it is free."""
        while True:
            await asyncio.sleep(self.heartbeat)
            try:
                async with self.db.write() as conn:
                    kept = await lease_rows.renew(conn, name, self.holder, self.duration)
                    if not kept:
                        kept = await lease_rows.claim(conn, name, self.holder, self.duration)
                if not kept:
                    logger.debug("lease %s is held by another process", name)
            except Exception:  # a database hiccup: the next beat tries again
                logger.warning("renewing lease %s failed", name, exc_info=True)

    @contextlib.asynccontextmanager
    async def kept(self, name: str) -> AsyncIterator[None]:
        """Heartbeat the lease for the block, release it after (also when the block fails)."""
        beat = asyncio.create_task(self._beat(name), name=f"lease-{name}")
        try:
            yield
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            with contextlib.suppress(Exception):
                await asyncio.shield(self.release(name))


async def _next_turn(db: Database, debate_id: str) -> int:
    async with db.read() as conn:
        return (await require_debate(conn, debate_id)).turns_taken + 1


async def _claim_next_turn(leases: Leases, debate_id: str) -> tuple[str, int, bool]:
    """The next turn's lease name and number, and whether this process now holds it.

    Read and claimed in one write transaction: a turn committed meanwhile cannot slip between the
    two, so the lease always names the turn the holder is about to run.
    """
    async with leases.db.write() as conn:
        turn = (await require_debate(conn, debate_id)).turns_taken + 1
        name = f"turn:{debate_id}:{turn}"
        return name, turn, await lease_rows.claim(conn, name, leases.holder, leases.duration)


async def run_leased_turn(
    leases: Leases,
    debate_id: str,
    run: Callable[[], Awaitable[T]],
    joined: Callable[[int], Awaitable[T | None]],
) -> T:
    """Run the debate's next turn under its lease, or wait for the replica holding it.

    ``run`` takes the turn (calls the LLM, commits); ``joined`` returns the committed turn ``n`` when
    it exists (None when not yet). When the holder dies its lease expires and this call takes over.
    """
    while True:
        name, turn, mine = await _claim_next_turn(leases, debate_id)
        if mine:
            async with leases.kept(name):
                return await run()
        while True:  # another replica runs this turn: its message is ours too
            await asyncio.sleep(WAIT_POLL)
            found = await joined(turn)
            if found is not None:
                return found
            if await _next_turn(leases.db, debate_id) != turn or await leases.claim(name):
                await leases.release(name)
                break  # the turn moved on or its holder is gone: look again from the top

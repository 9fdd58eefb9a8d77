"""Takeover: runs whose driver died are driven on by a live replica, without a resume call.

Every ``heartbeat`` seconds each replica looks for debates with a run under way whose run lease is
missing or expired (its holder stopped renewing it: a crash, a SIGKILL, a lost network) and starts
driving them. The turn in flight of the dead replica is run again once its turn lease expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from mcp_debate.orchestration.leases import Leases
from mcp_debate.orchestration.runs import DebateRunner
from mcp_debate.store import leases as lease_rows

logger = logging.getLogger(__name__)


class RunSweeper:
    def __init__(self, leases: Leases, runner: DebateRunner) -> None:
        self.leases = leases
        self.runner = runner
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="run-sweeper")

    async def sweep(self) -> list[str]:
        """Start driving every unowned run; returns the debates taken over."""
        async with self.leases.db.read() as conn:
            found = await lease_rows.unowned_runs(conn)
        taken = [debate_id for debate_id in found if not self.runner.is_active(debate_id)]
        for debate_id in taken:
            self.runner.ensure(debate_id)
        if taken:
            logger.info("taking over %d run(s) nobody drives", len(taken), extra={"debates": taken})
        return taken

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.leases.heartbeat)
            try:
                await self.sweep()
            except Exception:
                logger.warning("looking for unowned runs failed", exc_info=True)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

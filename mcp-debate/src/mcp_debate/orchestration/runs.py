"""Runs: a debate driven turn after turn, to the end or for N turns, by a task of the service.

The intention is stored (``run_target``: the turn count to reach) before the first turn runs, so a
run outlives the call that started it: a caller that disconnects leaves it running, and a service
restarted after a crash picks it up where the last committed turn left it. Pause stops a run after
the turn in flight and keeps its target for resume; cancel drops it.

A turn that fails for a passing reason (mcp-llm restarting, a provider outage) is tried again for
``RUN_RETRY_WINDOW`` seconds. A run that gives up, then or on an error waiting cannot fix, marks its
debate ``failed`` with the error in ``last_error`` and keeps its target: ``resume_debate`` continues it.

Callers that want to see the turns subscribe with :meth:`DebateRunner.watch` and get each committed
turn, then the reason the run stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from mcp_debate.domain.clock import utc_now
from mcp_debate.domain.models import Debate, Message
from mcp_debate.domain.states import Action, DebateState, transition
from mcp_debate.llm.errors import is_retryable
from mcp_debate.metrics import DebateMetrics
from mcp_debate.orchestration.leases import Leases
from mcp_debate.orchestration.lookup import require_debate
from mcp_debate.orchestration.turns import TurnRunner
from mcp_debate.store import Database
from mcp_debate.store import debates as debate_rows
from mcp_shared.errors import ServiceError

logger = logging.getLogger(__name__)

RUN_RETRY_MAX_WAIT = 5.0

StopReason = Literal["completed", "target_reached", "paused", "cancelled", "failed", "error", "stopped"]


@dataclass(frozen=True, slots=True)
class RunEvent:
    """A committed turn (``message``) or the end of the run (``stopped``, with ``error`` if one ended it)."""

    message: Message | None = None
    stopped: StopReason | None = None
    error: ServiceError | None = None


class DebateRunner:
    """Background runs, at most one per debate in this process."""

    def __init__(
        self,
        db: Database,
        turns: TurnRunner,
        metrics: DebateMetrics,
        patience: float = 60.0,
        leases: Leases | None = None,
    ) -> None:
        self.db = db
        self.leases = leases
        """Run leases: another replica drives this process's runs on once they expire."""
        self.patience = patience
        """Seconds a run keeps retrying a turn that fails for reasons waiting can fix."""
        self.turns = turns
        self.metrics = metrics
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._watchers: dict[str, set[asyncio.Queue[RunEvent]]] = {}
        self._again: set[str] = set()
        """Debates whose run got a new target while its task was finishing: start another task."""

    def is_active(self, debate_id: str) -> bool:
        return debate_id in self._tasks

    async def start(self, debate_id: str, turns: int | None) -> Debate:
        """Record the run's target and make sure a task drives the debate toward it."""
        async with self.db.write() as conn:
            debate = await require_debate(conn, debate_id)
            state = transition(debate.state, Action.RUN)
            # To the end: as far as the debate could go (it completes sooner when its rounds stop early).
            wanted = (
                debate.most_steps if turns is None else min(debate.most_steps, debate.turns_taken + turns)
            )
            # A run already under way is never shortened by another caller; pause stops it.
            target = max(wanted, debate.run_target or 0) if self.is_active(debate_id) else wanted
            await debate_rows.update(conn, debate_id, state=state, run_target=target, last_error=None)
        self.ensure(debate_id)
        return debate.model_copy(update={"state": state, "run_target": target})

    def ensure(self, debate_id: str) -> None:
        if debate_id in self._tasks:
            self._again.add(debate_id)
        else:
            task = asyncio.create_task(self._owned_drive(debate_id), name=f"run-{debate_id}")
            self._tasks[debate_id] = task
            self.metrics.active_runs.inc()
            task.add_done_callback(lambda t: self._finished(debate_id, t))

    async def stop(self, debate_id: str) -> None:
        """Stop the run task of a debate that was cancelled (its turn in flight is abandoned)."""
        self.turns.abandon(debate_id)
        task = self._tasks.get(debate_id)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def resume_all(self) -> int:
        """Start tasks for runs that were under way when the service last stopped."""
        async with self.db.read() as conn:
            ids = await debate_rows.ids_with_active_runs(conn)
        for debate_id in ids:
            self.ensure(debate_id)
        if ids:
            logger.info("resumed %d interrupted run(s)", len(ids), extra={"debates": ids})
        return len(ids)

    async def aclose(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @contextlib.contextmanager
    def watch(self, debate_id: str) -> Iterator[asyncio.Queue[RunEvent]]:
        queue: asyncio.Queue[RunEvent] = asyncio.Queue()
        self._watchers.setdefault(debate_id, set()).add(queue)
        try:
            yield queue
        finally:
            watchers = self._watchers.get(debate_id, set())
            watchers.discard(queue)
            if not watchers:
                self._watchers.pop(debate_id, None)

    def _publish(self, debate_id: str, event: RunEvent) -> None:
        for queue in self._watchers.get(debate_id, ()):
            queue.put_nowait(event)

    def _finished(self, debate_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(debate_id) is task:
            del self._tasks[debate_id]
        self.metrics.active_runs.dec()
        if not task.cancelled() and debate_id in self._again:
            self._again.discard(debate_id)
            self.ensure(debate_id)
            return
        self._again.discard(debate_id)
        if task.cancelled():
            self._publish(debate_id, RunEvent(stopped="stopped"))
        elif task.exception() is not None:
            logger.error("run of %s crashed", debate_id, exc_info=task.exception())
            self._publish(debate_id, RunEvent(stopped="error"))

    async def _owned_drive(self, debate_id: str) -> None:
        """Drive the run holding its lease (kept alive by a heartbeat) so replicas know it has a driver.

        Another replica may drive the same debate at once (both were asked to): each turn still runs
        once, under its turn lease, and both report every turn to their own watchers.
        """
        if self.leases is None:
            await self._drive(debate_id)
            return
        name = f"run:{debate_id}"
        await self.leases.claim(name)
        async with self.leases.kept(name):
            await self._drive(debate_id)

    async def _drive(self, debate_id: str) -> None:
        failing_since: float | None = None
        retries = 0
        while True:
            async with self.db.read() as conn:
                debate = await require_debate(conn, debate_id)
            reason = await self._reason_to_stop(debate)
            if reason is not None:
                self._publish(debate_id, RunEvent(stopped=reason))
                return
            try:
                outcome = await self.turns.next_turn(debate_id)
            except ServiceError as error:
                async with self.db.read() as conn:
                    after = await require_debate(conn, debate_id)
                if after.state in (DebateState.PAUSED, DebateState.CANCELLED, DebateState.COMPLETED):
                    continue  # the state changed under the turn; the loop reports why it stops
                now = asyncio.get_running_loop().time()
                failing_since = failing_since or now
                waiting_helps = after.state is DebateState.RUNNING and is_retryable(error)
                if waiting_helps and now - failing_since < self.patience:
                    # mcp-llm restarting, a provider outage: an unattended run waits it out
                    retries += 1
                    await asyncio.sleep(min(RUN_RETRY_MAX_WAIT, 0.25 * 2**retries))
                    continue
                if after.state is DebateState.RUNNING:  # the run cannot go on, and says so
                    await self._fail(debate_id, error, waited=now - failing_since)
                self._publish(debate_id, RunEvent(stopped="failed", error=error))
                return
            failing_since, retries = None, 0
            if outcome.message is not None:  # None: the budget ended the debate without a call
                self._publish(debate_id, RunEvent(message=outcome.message))

    async def _fail(self, debate_id: str, error: ServiceError, waited: float) -> None:
        """A run that gives up leaves its debate ``failed`` with the error, never ``running`` with no run.

        The target is kept, so ``resume_debate`` continues the run from the first missing turn.
        """
        async with self.db.write() as conn:
            current = await debate_rows.progress(conn, debate_id)
            if current is None or current.state is not DebateState.RUNNING:
                return
            last_error = {**error.to_payload()["error"], "at": utc_now(), "retried_for_s": round(waited, 1)}
            await debate_rows.update(
                conn, debate_id, state=transition(current.state, Action.FAIL), last_error=last_error
            )
        logger.warning("run of %s gave up after %.1f s: %s", debate_id, waited, error.message)

    async def _reason_to_stop(self, debate: Debate) -> StopReason | None:
        if debate.state is DebateState.COMPLETED:
            return "completed"
        if debate.state is DebateState.PAUSED:
            return "paused"
        if debate.state is DebateState.CANCELLED:
            return "cancelled"
        if debate.state is not DebateState.RUNNING or debate.run_target is None:
            return "stopped"
        if debate.turns_taken >= debate.run_target:
            async with self.db.write() as conn:
                await debate_rows.clear_reached_target(conn, debate.id)
            return "target_reached"
        return None

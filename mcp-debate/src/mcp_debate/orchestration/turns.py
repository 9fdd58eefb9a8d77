"""One turn of one participant: plan the context, ask mcp-llm, commit the answer in one transaction.

Crash safety: nothing of a turn is written before the LLM has answered; then the message, its
context snapshot and the debate's progress are committed together. A crash or an mcp-llm failure
therefore leaves no partial turn, and the same turn simply runs again. (A context summary made on
the way is stored at once: it stays valid whatever becomes of the turn, and the retry reuses it.)

Protocols: a turn is one *step* of the debate (:mod:`mcp_debate.domain.schedule`): a debater's turn,
a moderator's decision or a judge's verdict, committed the same way. The commit also stores what the
step changes (the vote, a consensus or moderator stop, the verdict: :mod:`mcp_debate.protocols.progress`).
Before its LLM call a step is checked against the debate's budget; a step that does not fit stops the
rounds instead (one transaction, no message), and the judge's verdict or the vote follows.

Concurrency: calls for the same debate in this process join the turn already in flight and get its
message. Across processes, ``UNIQUE (debate_id, turn)`` lets only one message per turn in; the other
writer reads the winner's message and returns it as joined.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from mcp_debate.context import prompts
from mcp_debate.context.manager import Ready
from mcp_debate.domain.clock import utc_now
from mcp_debate.domain.models import ContextSnapshot, Debate, Message, Participant
from mcp_debate.domain.schedule import Step
from mcp_debate.domain.states import Action, DebateState, transition
from mcp_debate.faults import crash_before_commit
from mcp_debate.hub import Chunk, DebateHub
from mcp_debate.llm import CallScope, LLMServiceClient, TokenCount
from mcp_debate.llm.client import DeltaSink
from mcp_debate.llm.idempotency import keyed
from mcp_debate.metrics import DebateMetrics
from mcp_debate.orchestration import stance_checks
from mcp_debate.orchestration.budgets import BudgetGate
from mcp_debate.orchestration.contexts import ContextAssembler
from mcp_debate.orchestration.leases import Leases, run_leased_turn
from mcp_debate.orchestration.lookup import require_debate
from mcp_debate.orchestration.stance_checks import StanceChecker
from mcp_debate.orchestration.structured_steps import Spoken, StructuredSpeaker
from mcp_debate.protocols import progress
from mcp_debate.protocols.answers import extract
from mcp_debate.protocols.visibility import visible
from mcp_debate.store import Database
from mcp_debate.store import debates as debate_rows
from mcp_debate.store import messages as message_rows
from mcp_debate.store import snapshots as snapshot_rows
from mcp_debate.store import summaries as summary_rows
from mcp_debate.store.connection import Connection, ConstraintError
from mcp_shared.errors import (
    ErrorType,
    InternalError,
    InvalidRequestError,
    ProviderUnavailableError,
    ServiceError,
)
from mcp_shared.models import ChatMessage, CompletionRequest, CompletionResponse

logger = logging.getLogger(__name__)

PERMANENT = frozenset(
    {
        ErrorType.AUTHENTICATION,
        ErrorType.MODEL_NOT_FOUND,
        ErrorType.CONTEXT_LENGTH_EXCEEDED,
        ErrorType.INVALID_REQUEST,
    }
)
"""LLM errors that running the turn again cannot fix: the debate is marked failed (resume retries)."""


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    message: Message | None
    """None when the step ended the debate without an LLM call (its budget did not allow one)."""
    debate: Debate
    joined: bool = False
    """True when this call did not run the turn itself but got the message of one in flight."""


class TurnRunner:
    """Runs turns; at most one in flight per debate in this process."""

    def __init__(
        self,
        db: Database,
        llm: LLMServiceClient,
        assembler: ContextAssembler,
        metrics: DebateMetrics,
        gate: BudgetGate,
        hub: DebateHub | None = None,
        leases: Leases | None = None,
    ) -> None:
        self.db = db
        self.leases = leases
        """Claims on turns shared with other replicas; None runs turns without asking the database."""
        self.hub = hub
        """Where the text of a turn goes while it is written, when someone watches the debate."""
        self.llm = llm
        self.assembler = assembler
        self.metrics = metrics
        self.gate = gate
        self.structured = StructuredSpeaker(llm, gate)
        self.stance = StanceChecker(llm)
        self._inflight: dict[str, asyncio.Task[TurnOutcome]] = {}

    async def next_turn(self, debate_id: str, on_delta: DeltaSink | None = None) -> TurnOutcome:
        """Run the debate's next turn (or join the one in flight) and return its message."""
        task = self._inflight.get(debate_id)
        joined = task is not None
        if task is None:
            task = asyncio.create_task(self._leased(debate_id, on_delta), name=f"turn-{debate_id}")
            self._inflight[debate_id] = task
            task.add_done_callback(lambda t: self._forget(debate_id, t))
        try:
            outcome = await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled() and not _being_cancelled():
                raise InvalidRequestError(
                    f"debate {debate_id} was cancelled while its turn ran; the turn was abandoned", status=409
                ) from None
            raise
        if joined:
            self.metrics.turns.labels("joined").inc()
            return replace(outcome, joined=True)
        return outcome

    async def _leased(self, debate_id: str, on_delta: DeltaSink | None) -> TurnOutcome:
        """The turn under its lease, or the turn another replica runs (see orchestration.leases)."""
        if self.leases is None:
            return await self._run(debate_id, on_delta)
        return await run_leased_turn(
            self.leases,
            debate_id,
            lambda: self._run(debate_id, on_delta),
            partial(self._committed, debate_id),
        )

    async def _committed(self, debate_id: str, turn: int) -> TurnOutcome | None:
        async with self.db.read() as conn:
            message = await message_rows.for_turn(conn, debate_id, turn)
            return (
                None if message is None else TurnOutcome(message, await require_debate(conn, debate_id), True)
            )

    def abandon(self, debate_id: str) -> None:
        """Stop the turn in flight for a debate (it was cancelled); nothing of it is written."""
        task = self._inflight.get(debate_id)
        if task is not None:
            task.cancel()

    async def aclose(self) -> None:
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _forget(self, debate_id: str, task: asyncio.Task[TurnOutcome]) -> None:
        if self._inflight.get(debate_id) is task:
            del self._inflight[debate_id]
        if not task.cancelled():
            task.exception()  # retrieved here so an unawaited failure is not reported as lost

    async def _run(self, debate_id: str, on_delta: DeltaSink | None) -> TurnOutcome:
        started = time.perf_counter()
        llm_seconds = 0.0
        async with self.db.read() as conn:  # one snapshot: the debate, the speaker's summary, what follows it
            debate = await require_debate(conn, debate_id)
            transition(debate.state, Action.TAKE_TURN)
            step = debate.next_step()
            if step is None:  # every turn is taken; the commit that took the last one completed the debate
                raise InvalidRequestError(f"debate {debate_id} has no turn left", status=409)
            me = debate.participants[step.position]
            summary = await summary_rows.latest(conn, debate.id, "context", me.position)
            history = await message_rows.page(conn, debate.id, summary.covers_to_seq if summary else 0)
        history = visible(debate, me, history, step.round)
        if debate.state is DebateState.CREATED:
            debate = debate.model_copy(update={"state": await self._start(debate_id)})
        scope = CallScope(
            debate.id,
            me.name,
            me.provider,
            me.model,
            organization=debate.organization_id,
            episode=debate.episode_id,
        )
        try:
            ready, counted, summary_seconds = await self.assembler.assemble(
                debate, me, summary, history, scope
            )
            refused = await self.gate.refusal(debate, step, me, counted.tokens)
            if refused is None:
                llm_started = time.perf_counter()
                if me.role == "debater":
                    sink = _tee(on_delta, self._watchers_sink(debate, step))
                    spoken = await self._argue(debate, me, ready, scope, sink)
                else:
                    spoken = await self.structured.speak(debate, step, me, ready, counted.tokens, scope)
                call_seconds = time.perf_counter() - llm_started
                llm_seconds = call_seconds + summary_seconds
        except ServiceError as error:
            await self._record_failure(debate.id, error)
            self.metrics.turns.labels(str(error.error_type)).inc()
            raise
        if refused is not None:
            return await self._out_of_budget(debate, step, refused, on_delta)
        self.metrics.llm_time.labels("turn").observe(call_seconds)
        draft = _TurnDraft(me, step, spoken, call_seconds, ready, counted)
        crash_before_commit()  # a test-only fault point (mcp_debate/faults.py); nothing when unset
        outcome = await self._commit(debate, draft)
        overhead = time.perf_counter() - started - llm_seconds
        self.metrics.overhead.observe(max(overhead, 0.0))
        self.metrics.turns.labels("joined" if outcome.joined else "ok").inc()
        return outcome

    def _watchers_sink(self, debate: Debate, step: Step) -> DeltaSink | None:
        """The hub's sink for this turn's text, when the debate is watched (else the turn need not stream)."""
        hub = self.hub
        if hub is None or not hub.is_watched(debate.id):
            return None
        speaker = debate.participants[step.position].name
        turn = debate.turns_taken + 1

        async def publish(delta: str) -> None:
            hub.chunk(Chunk(debate.id, turn, step.round, speaker, delta))

        return publish

    async def _argue(
        self, debate: Debate, me: Participant, ready: Ready, scope: CallScope, on_delta: DeltaSink | None
    ) -> Spoken:
        """A debater's turn: one call, the reply cleaned, its final answer read when one is asked for;
        with ``stance_check``, checked for arguing its stance and written again once if it does not."""
        answer, content = await self._say(debate, me, ready.messages, ready, scope, on_delta)
        check: dict[str, Any] | None = None
        calls = [answer]
        if debate.stance_check and me.stance:
            verdict = await self.stance.check(debate, me, content, scope)
            calls.append(verdict.answer)
            retried = verdict.consistent is False
            if retried:
                again = [
                    *ready.messages,
                    ChatMessage(role="assistant", content=content),
                    ChatMessage(role="user", content=stance_checks.retry_instruction(me, verdict.reason)),
                ]
                answer, content = await self._say(
                    debate, me, again, ready, replace(scope, purpose="retry"), None
                )
                verdict = await self.stance.check(debate, me, content, scope)
                calls = [answer, *calls, verdict.answer]
            check = stance_checks.record(verdict, retried)
            answer = stance_checks.combined(*calls)
        final = extract(content, debate.answer_format) if debate.asks_for_answers else None
        return Spoken(answer, content, calls=len(calls), final_answer=final, stance_check=check)

    async def _say(
        self,
        debate: Debate,
        me: Participant,
        messages: list[ChatMessage],
        ready: Ready,
        scope: CallScope,
        on_delta: DeltaSink | None,
    ) -> tuple[CompletionResponse, str]:
        request = CompletionRequest(
            provider=me.provider,
            model=me.model,
            messages=messages,
            max_tokens=ready.budget.reserve,
            temperature=me.temperature,
            stop=prompts.stop_sequences(debate, me),
            conversation_id=f"debate:{debate.id}",
        )
        # A stance retry sends different messages, so its key (which carries the request's digest) differs.
        answer = await self.llm.complete(
            keyed(request, debate.id, debate.turns_taken + 1, "turn"),
            scope,
            on_delta=_guarded(on_delta) if on_delta else None,
        )
        content = prompts.clean_turn(answer.content, debate, me)
        if not content:
            raise ProviderUnavailableError(
                f"debate {debate.id}, participant '{me.name}': the model returned an empty answer "
                f"(finish_reason {answer.finish_reason})",
                provider=answer.provider,
                model=answer.model,
            )
        return answer, content

    async def _start(self, debate_id: str) -> DebateState:
        """created -> running. Only the state is taken from this read: the turn keeps the snapshot it
        planned from, so a turn another process took meanwhile shows up as a conflict at commit."""
        async with self.db.write() as conn:
            current = await debate_rows.progress(conn, debate_id)
            if current is None:
                raise InternalError(f"debate {debate_id} disappeared")
            state = transition(current.state, Action.TAKE_TURN)
            if state is not current.state:
                await debate_rows.update(conn, debate_id, state=state)
        return state

    async def _commit(self, debate: Debate, draft: _TurnDraft) -> TurnOutcome:
        turn = debate.turns_taken + 1
        me = draft.participant
        spoken = draft.spoken
        try:
            async with self.db.write() as conn:
                current = await debate_rows.progress(conn, debate.id)
                if current is None:
                    raise InternalError(f"debate {debate.id} disappeared while its turn ran")
                if current.state not in (DebateState.RUNNING, DebateState.PAUSED):
                    raise InvalidRequestError(
                        f"debate {debate.id} became {current.state.value} while the turn of '{me.name}' ran; "
                        "its answer was discarded",
                        status=409,
                        details={"field": "debate_id", "state": current.state.value},
                    )
                message = await message_rows.insert(
                    conn,
                    debate_id=debate.id,
                    kind="turn",
                    speaker=me.name,
                    content=spoken.content,
                    round=draft.step.round,
                    turn=turn,
                    participant=me.position,
                    input_tokens=spoken.answer.usage.input_tokens,
                    output_tokens=spoken.answer.usage.output_tokens,
                    cost_usd=spoken.answer.cost_usd,
                    latency_ms=round(draft.seconds * 1000, 2),
                    provider=spoken.answer.provider,
                    model=spoken.answer.model,
                    finish_reason=spoken.answer.finish_reason,
                    cached=spoken.answer.cached,
                    request_id=spoken.answer.request_id,
                    answer=spoken.final_answer,
                    structured=spoken.structured,
                    calls=spoken.calls,
                    stance_check=spoken.stance_check,
                    cache_read_tokens=spoken.answer.usage.cache_read_tokens,
                    cache_write_tokens=spoken.answer.usage.cache_write_tokens,
                    cache_saving_usd=spoken.answer.cache_saving_usd,
                )
                await snapshot_rows.insert(conn, debate.id, draft.snapshot(turn))
                after = await self._settle(conn, debate, draft, turn)
                state = transition(
                    current.state,
                    Action.COMPLETE if after.state is DebateState.COMPLETED else Action.COMMIT_TURN,
                )
                run_target = None if state is DebateState.COMPLETED else current.run_target
                await debate_rows.update(
                    conn,
                    debate.id,
                    state=state,
                    turns_taken=turn,
                    run_target=run_target,
                    last_error=None,
                    phase=after.phase,
                    end_reason=after.stopped_reason,  # type: ignore[arg-type]
                    verdict=after.verdict,
                    ballots=after.ballots,
                )
        except ConstraintError as exc:
            return await self._taken_elsewhere(debate.id, turn, exc)
        return TurnOutcome(message, after.model_copy(update={"state": state, "run_target": run_target}))

    async def _settle(self, conn: Connection, debate: Debate, draft: _TurnDraft, turn: int) -> Debate:
        """The debate after this step: its ballots, whether the rounds stop, the verdict once they have."""
        spoken = draft.spoken
        after = debate.model_copy(
            update={
                "turns_taken": turn,
                "ballots": progress.ballots_after(debate, draft.step, spoken.final_answer),
            }
        )
        if draft.step.kind == "verdict":
            turns = await message_rows.page(conn, debate.id)
            verdict = progress.judged(after, spoken.judge_reply, spoken.problem, turns)
            return after.model_copy(update={"state": DebateState.COMPLETED, "verdict": verdict})
        reason = progress.stop_after(after, draft.step, spoken.decision)
        if reason is None:
            return after
        closing = progress.close(after, await message_rows.page(conn, debate.id))
        return after.model_copy(
            update={
                "phase": closing.phase,
                "stopped_reason": reason,
                "verdict": closing.verdict,
                "state": DebateState.COMPLETED if closing.complete else after.state,
            }
        )

    async def _out_of_budget(
        self, debate: Debate, step: Step, why: str, on_delta: DeltaSink | None
    ) -> TurnOutcome:
        """The step's call does not fit the budget: the rounds stop (and the judge, if due, speaks next);
        a judge that does not fit leaves the verdict to the vote. Nothing is asked of any model here."""
        async with self.db.write() as conn:
            current = await debate_rows.progress(conn, debate.id)
            if current is None:
                raise InternalError(f"debate {debate.id} disappeared")
            moved = current.turns_taken != debate.turns_taken
            if not moved:
                transition(current.state, Action.COMMIT_TURN)
                turns = await message_rows.page(conn, debate.id)
                closing, reason = progress.out_of_budget(debate, step, turns, why)
                state = transition(current.state, Action.COMPLETE if closing.complete else Action.COMMIT_TURN)
                await debate_rows.update(
                    conn,
                    debate.id,
                    state=state,
                    run_target=None if closing.complete else current.run_target,
                    phase=closing.phase,
                    end_reason=reason,
                    verdict=closing.verdict,
                )
        logger.info("debate %s: %s", debate.id, why)
        self.metrics.turns.labels("budget_exhausted").inc()
        async with self.db.read() as conn:
            after = await require_debate(conn, debate.id)
        if after.state is not DebateState.RUNNING:  # completed by the vote, or paused meanwhile
            return TurnOutcome(None, after)
        return await self._run(debate.id, on_delta)  # the judge's verdict, or a step another process took

    async def _taken_elsewhere(self, debate_id: str, turn: int, exc: ConstraintError) -> TurnOutcome:
        """Another process committed this turn first: its message is the turn's message."""
        async with self.db.read() as conn:
            message = await message_rows.for_turn(conn, debate_id, turn)
            debate = await require_debate(conn, debate_id)
        if message is None:  # the constraint hit something else: a real storage problem
            raise InternalError(f"storing turn {turn} of debate {debate_id} failed: {exc}") from exc
        logger.info("turn %d of %s was committed by another process; returning its message", turn, debate_id)
        return TurnOutcome(message, debate, joined=True)

    async def _record_failure(self, debate_id: str, error: ServiceError) -> None:
        """Remember the error on the debate; errors retrying cannot fix mark it failed."""
        async with self.db.write() as conn:
            current = await debate_rows.get(conn, debate_id)
            if current is None:
                return
            failed = error.error_type in PERMANENT and current.state in (
                DebateState.RUNNING,
                DebateState.PAUSED,
            )
            await debate_rows.update(
                conn,
                debate_id,
                state=transition(current.state, Action.FAIL) if failed else None,
                last_error={**error.to_payload()["error"], "at": utc_now()},
            )


@dataclass(frozen=True, slots=True)
class _TurnDraft:
    participant: Participant
    step: Step
    spoken: Spoken
    seconds: float
    ready: Ready
    counted: TokenCount

    def snapshot(self, turn: int) -> ContextSnapshot:
        verbatim = self.ready.verbatim
        return ContextSnapshot(
            turn=turn,
            participant=self.participant.position,
            summary_id=self.ready.summary.id if self.ready.summary else None,
            first_seq=verbatim[0].seq if verbatim else None,
            last_seq=verbatim[-1].seq if verbatim else None,
            message_count=len(verbatim),
            tokens=self.counted.tokens,
            token_method=self.counted.method,  # type: ignore[arg-type]
            budget=self.ready.budget.input,
            created_at=utc_now(),
            messages=self.ready.messages,
        )


def _tee(*sinks: DeltaSink | None) -> DeltaSink | None:
    """One sink feeding every given one (None when none is given: the call need not stream)."""
    present = [s for s in sinks if s is not None]
    if len(present) <= 1:
        return present[0] if present else None
    present = [_guarded(s) for s in present]  # a caller that left must not silence the watchers

    async def both(delta: str) -> None:
        for sink in present:
            await sink(delta)

    return both


def _guarded(sink: DeltaSink) -> DeltaSink:
    """Deltas go to the caller while it listens; a caller that left does not fail the turn."""
    listening = True

    async def forward(delta: str) -> None:
        nonlocal listening
        if listening:
            try:
                await sink(delta)
            except Exception:
                listening = False

    return forward


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0

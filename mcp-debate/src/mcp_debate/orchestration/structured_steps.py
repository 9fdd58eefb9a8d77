"""A judge's or moderator's step: ask for JSON, validate it, re-ask once with what was wrong, then degrade.

Degrading is deterministic and never fails the debate: a judge whose reply still cannot be read
leaves the verdict to the vote (:func:`mcp_debate.protocols.progress.judged`), a moderator whose
reply cannot be read lets the debate go on. The re-ask is an LLM call like any other: the budget
must allow it, and a re-ask that no longer fits the model's window degrades the same way.
Both calls are billed to the step (``calls`` 2, tokens and cost summed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from mcp_debate.context.manager import Ready
from mcp_debate.context.tokens import estimate_message
from mcp_debate.domain.models import Debate, Participant
from mcp_debate.domain.schedule import Step
from mcp_debate.llm import CallScope, LLMServiceClient
from mcp_debate.llm.idempotency import keyed
from mcp_debate.orchestration.budgets import BudgetGate
from mcp_debate.protocols import budget
from mcp_debate.protocols.budget import Cost
from mcp_debate.protocols.prompts import reask
from mcp_debate.protocols.structured import JudgeReply, Unreadable, parse_judge, parse_moderator
from mcp_debate.protocols.verdicts import tally
from mcp_shared.errors import ErrorType, ServiceError
from mcp_shared.models import ChatMessage, CompletionRequest, CompletionResponse, Usage

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Spoken:
    """What a step produced, ready to commit."""

    answer: CompletionResponse
    """The (last) reply, with the usage, cost and latency of every call of the step."""
    content: str
    calls: int = 1
    final_answer: str | None = None
    """A debater's final answer as read from its turn."""
    structured: dict[str, Any] | None = None
    """A judge's verdict or a moderator's decision, as validated."""
    judge_reply: JudgeReply | None = None
    problem: str | None = None
    """Why a judge's or moderator's reply could not be read."""
    stance_check: dict[str, Any] | None = None
    """A debater's turn checked for arguing its stance (``stance_check`` on)."""

    @property
    def decision(self) -> str | None:
        return str(self.structured["decision"]) if self.structured and "decision" in self.structured else None


class StructuredSpeaker:
    def __init__(self, llm: LLMServiceClient, gate: BudgetGate) -> None:
        self.llm = llm
        self.gate = gate

    async def speak(
        self, debate: Debate, step: Step, me: Participant, ready: Ready, prompt_tokens: int, scope: CallScope
    ) -> Spoken:
        request = CompletionRequest(
            provider=me.provider,
            model=me.model,
            messages=ready.messages,
            max_tokens=ready.budget.reserve,
            temperature=me.temperature,
            conversation_id=f"debate:{debate.id}",
        )
        turn = debate.turns_taken + 1
        first = await self.llm.complete(keyed(request, debate.id, turn, "turn"), scope)
        try:
            return self._read(debate, step, first, first.content, calls=1)
        except Unreadable as problem:
            logger.info("re-asking %s: %s", me.name, problem, extra={"debate_id": debate.id})
            again = [
                *ready.messages,
                ChatMessage(role="assistant", content=first.content or "(empty)"),
                ChatMessage(role="user", content=reask(str(problem))),
            ]
            grown = prompt_tokens + estimate_message(first.content) + estimate_message(again[-1].content)
            pending = Cost(first.usage.total_tokens, first.cost_usd)
            needed = budget.reservation(me, grown, ready.budget.reserve)
            if not await self.gate.allows(debate, pending, needed):
                return self._unread(step, first, f"{problem}; the budget left no room to ask again", calls=1)
            try:
                second = await self.llm.complete(
                    keyed(request.model_copy(update={"messages": again}), debate.id, turn, "reask"),
                    replace(scope, purpose="re-ask"),
                )
            except ServiceError as error:
                if error.error_type is not ErrorType.CONTEXT_LENGTH_EXCEEDED:
                    raise
                return self._unread(step, first, f"{problem}; asking again would not fit the window", calls=1)
            both = _combined(first, second)
            try:
                return self._read(debate, step, both, second.content, calls=2)
            except Unreadable as still:
                return self._unread(step, both, str(still), calls=2)

    def _read(self, debate: Debate, step: Step, answer: CompletionResponse, text: str, calls: int) -> Spoken:
        if not text.strip():
            raise Unreadable("the reply was empty")
        if step.kind == "moderation":
            decision = parse_moderator(text)
            return Spoken(answer, text.strip(), calls, structured=decision.model_dump())
        count = tally(debate)
        tied = count.leaders if debate.protocol == "vote" and count.tied else []
        verdict = parse_judge(text, debate, tied)
        return Spoken(answer, text.strip(), calls, structured=verdict.model_dump(), judge_reply=verdict)

    @staticmethod
    def _unread(step: Step, answer: CompletionResponse, problem: str, calls: int) -> Spoken:
        content = answer.content.strip() or "(empty reply)"
        if step.kind == "moderation":
            fallback = {
                "decision": "continue",
                "reason": f"the moderator's reply could not be read ({problem}); the debate goes on",
                "read": False,
            }
            return Spoken(answer, content, calls, structured=fallback, problem=problem)
        return Spoken(answer, content, calls, problem=problem)


def _combined(first: CompletionResponse, second: CompletionResponse) -> CompletionResponse:
    """The second reply, carrying the usage, cost and latency of both calls."""
    return second.model_copy(
        update={
            "usage": Usage.summed(first.usage, second.usage),
            "cost_usd": first.cost_usd + second.cost_usd,
            "cache_saving_usd": first.cache_saving_usd + second.cache_saving_usd,
            "latency_ms": first.latency_ms + second.latency_ms,
            "cached": first.cached and second.cached,
        }
    )

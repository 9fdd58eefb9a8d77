"""The opt-in stance check: does a debater's turn argue the stance it was given?

Small models drift to the other side under their opponents' arguments. With ``stance_check`` on, each
turn of a debater with a stance gets one short call (temperature 0, a JSON yes/no with a reason) to the
debate's judge's model, or else the debater's own. A turn found arguing against its stance is written
again once, told so; whatever the second check says is stored with the turn (``stance_check`` on the
message), so a reader sees which turns drifted. A check whose reply cannot be read is stored as
unknown (``consistent`` null), never fails the turn. Every call is billed to the turn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from mcp_debate.context import prompts
from mcp_debate.domain.models import Debate, Participant
from mcp_debate.llm import CallScope, LLMServiceClient
from mcp_shared.models import ChatMessage, CompletionRequest, CompletionResponse, Usage

CHECK_TOKENS = 96
CHECK_SYSTEM = (
    "You check debate turns. You say whether a turn argues FOR the stance its speaker was given. "
    "You reply with one JSON object and nothing else."
)
CHECK_EXAMPLE = '{"consistent": true or false, "reason": "<one sentence>"}'


@dataclass(frozen=True, slots=True)
class StanceVerdict:
    consistent: bool | None
    reason: str
    answer: CompletionResponse


def check_request(debate: Debate, me: Participant, turn: str) -> str:
    return (
        f"Topic: {debate.topic}\nSpeaker: {me.name}\nStance given: {me.stance}\n\nTurn:\n{turn}\n\n"
        "Does the turn argue FOR the stance given (not against it, not the other side)? Reply with one "
        f"JSON object and nothing else, in this form:\n{CHECK_EXAMPLE}"
    )


def retry_instruction(me: Participant, reason: str) -> str:
    return prompts.labelled(
        f"Your reply argued against your stance ({me.stance}): {reason} Write your turn again, arguing for "
        "your stance."
    )


def read_check(text: str) -> tuple[bool | None, str]:
    """``consistent`` and the reason; ``None`` when the reply holds no readable decision."""
    decoder = json.JSONDecoder()
    for start in (i for i, ch in enumerate(text) if ch == "{"):
        try:
            found, _ = decoder.raw_decode(text[start:])
        except json.JSONDecodeError:
            continue
        if isinstance(found, dict) and isinstance(found.get("consistent"), bool):
            return found["consistent"], " ".join(str(found.get("reason", "")).split())[:500]
    return None, "the stance check's reply could not be read"


class StanceChecker:
    def __init__(self, llm: LLMServiceClient) -> None:
        self.llm = llm

    async def check(self, debate: Debate, me: Participant, turn: str, scope: CallScope) -> StanceVerdict:
        checker = debate.with_role("judge") or me
        answer = await self.llm.complete(
            CompletionRequest(
                provider=checker.provider,
                model=checker.model,
                messages=[
                    ChatMessage(role="system", content=CHECK_SYSTEM),
                    ChatMessage(role="user", content=check_request(debate, me, turn)),
                ],
                max_tokens=CHECK_TOKENS,
                temperature=0.0,
            ),
            replace(scope, purpose="stance check"),
        )
        consistent, reason = read_check(answer.content)
        return StanceVerdict(consistent, reason, answer)


def record(verdict: StanceVerdict, retried: bool) -> dict[str, Any]:
    return {
        "consistent": verdict.consistent,
        "reason": verdict.reason,
        "retried": retried,
        "checker": f"{verdict.answer.provider}/{verdict.answer.model}",
    }


def combined(*answers: CompletionResponse) -> CompletionResponse:
    """The first answer (the turn's), carrying the usage, cost and latency of every call."""
    first = answers[0]
    return first.model_copy(
        update={
            "usage": Usage.summed(*(a.usage for a in answers)),
            "cost_usd": sum(a.cost_usd for a in answers),
            "cache_saving_usd": sum(a.cache_saving_usd for a in answers),
            "latency_ms": sum(a.latency_ms for a in answers),
            "cached": all(a.cached for a in answers),
        }
    )

"""Judges' verdicts and moderators' decisions: JSON read out of a reply and validated with pydantic.

Models wrap JSON in prose or code fences, so the first JSON object in the reply is taken. The shape is
checked by the models below, then against the debate (the winner must be a debater; the answer one of
the allowed choices, or of the tied answers when the judge breaks a tie). What is wrong comes back as
one short text, which is what the speaker is re-asked with.
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mcp_debate.domain.models import Debate
from mcp_debate.protocols.answers import clean, match_choice, normalize

M = TypeVar("M", bound=BaseModel)
_NULLS = {"", "none", "null", "nobody", "n/a", "no one"}


class JudgeReply(BaseModel):
    """What a judge must answer."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    answer: str = Field(min_length=1, max_length=500)
    winner: str | None = None
    confidence: float = Field(ge=0.0, le=1.0)
    rationale: str = Field(min_length=1, max_length=5000)
    assessments: dict[str, str] = Field(default_factory=dict)

    @field_validator("answer", mode="before")
    @classmethod
    def _answer_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @field_validator("winner", mode="before")
    @classmethod
    def _no_winner(cls, value: Any) -> Any:
        return None if isinstance(value, str) and value.strip().casefold() in _NULLS else value

    @field_validator("confidence", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        """``80`` or ``"80%"`` read as a percentage."""
        if isinstance(value, str) and value.strip().endswith("%"):
            value = value.strip()[:-1]
        try:
            number = float(value)
        except (TypeError, ValueError):
            return value
        return number / 100 if 1 < number <= 100 else number

    @field_validator("assessments", mode="before")
    @classmethod
    def _assessments_as_texts(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
        if isinstance(value, list):  # [{"participant": ..., "assessment": ...}] is as good
            pairs = [v for v in value if isinstance(v, dict)]
            return {str(p.get("participant") or p.get("name")): str(p.get("assessment") or "") for p in pairs}
        return value


class ModeratorReply(BaseModel):
    """What a moderator must answer after a round."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    decision: Literal["continue", "stop"]
    reason: str = Field(min_length=1, max_length=2000)

    @field_validator("decision", mode="before")
    @classmethod
    def _lowercase(cls, value: Any) -> Any:
        return value.strip().casefold() if isinstance(value, str) else value


class Unreadable(ValueError):
    """The reply is not what was asked for; ``str()`` says why, in words a model can act on."""


def first_json_object(text: str) -> dict[str, Any]:
    decoder = json.JSONDecoder()
    for start, char in enumerate(text):
        if char != "{":
            continue
        try:
            found, _ = decoder.raw_decode(text[start:])
        except json.JSONDecodeError:
            continue
        if isinstance(found, dict):
            return found
    raise Unreadable("the reply holds no JSON object")


def parse_judge(text: str, debate: Debate, tied: list[str]) -> JudgeReply:
    reply = _validated(JudgeReply, text)
    problems = []
    names = {p.name.casefold(): p.name for p in debate.debaters}
    if reply.winner is not None:
        winner = names.get(reply.winner.casefold())
        if winner is None:
            problems.append(
                f"winner must be one of {', '.join(names.values())} or null, not {reply.winner!r}"
            )
        reply = reply.model_copy(update={"winner": winner})
    answer = clean(reply.answer) or reply.answer
    choices = debate.answer_format.choices if debate.answer_format else None
    if choices:
        chosen = match_choice(answer, choices)
        if chosen is None:
            problems.append(f"answer must be one of {', '.join(choices)}, not {answer!r}")
        answer = chosen or answer
    if tied:
        among = [t for t in tied if normalize(t) == normalize(answer)]
        if not among:
            problems.append(f"answer must be one of the tied answers ({', '.join(tied)}), not {answer!r}")
        answer = among[0] if among else answer
    if problems:
        raise Unreadable("; ".join(problems))
    assessments = {names.get(k.casefold(), k): v for k, v in reply.assessments.items()}
    return reply.model_copy(update={"answer": answer, "assessments": assessments})


def parse_moderator(text: str) -> ModeratorReply:
    return _validated(ModeratorReply, text)


def _validated(model: type[M], text: str) -> M:
    found = first_json_object(text)
    try:
        return model.model_validate(found)
    except ValidationError as exc:
        raise Unreadable("; ".join(_problem(e) for e in exc.errors(include_url=False))) from None


def _problem(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "reply"
    return f"{where}: {error['msg']}"

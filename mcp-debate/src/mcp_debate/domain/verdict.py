"""What a debate decides: the verdict, the ballots it counts, and who dissented.

These models are stored (as JSON on the debate) and returned to callers as they are, so their field
descriptions are written for the caller.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

VerdictMethod = Literal["unanimous", "majority", "judge", "tie", "none"]

MAX_CHOICES = 50
MAX_PATTERN = 500


class AnswerFormat(BaseModel):
    """How debaters state their final answer, when not the default ``Final answer: ...`` line."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    pattern: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_PATTERN,
        description="A regular expression that finds the answer in a reply (its last match; the first group "
        "if it has one, else the whole match).",
    )
    choices: list[str] | None = Field(
        default=None,
        min_length=2,
        max_length=MAX_CHOICES,
        description="The answers allowed (compared without case); anything else counts as no answer.",
    )

    @field_validator("choices")
    @classmethod
    def _choices_are_words(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        cleaned = [" ".join(c.split()) for c in value]
        if any(not c or len(c) > 200 for c in cleaned):
            raise ValueError("each choice must be 1 to 200 characters")
        if len({c.casefold() for c in cleaned}) != len(cleaned):
            raise ValueError("choices must differ (regardless of case)")
        return cleaned


class Ballot(BaseModel):
    """One debater's vote: its latest readable final answer."""

    participant: str
    answer: str | None = Field(description="None when no turn of it had a readable final answer.")
    round: int | None = Field(description="The round of the turn the answer was read from.")


class Dissent(BaseModel):
    """A debater whose answer differs from the verdict's, and its reasons in its own words."""

    participant: str
    answer: str | None
    reason: str = Field(description="The start of its latest turn.")


class Verdict(BaseModel):
    """What the debate decided, how, and how sure the panel is."""

    answer: str | None = Field(
        description="The decided answer; None for a tie or when nothing could be read."
    )
    method: VerdictMethod = Field(
        description="unanimous or majority: the vote decided; judge: a judge decided; tie: the vote tied "
        "and no judge broke it; none: no readable answer and no readable judge's verdict."
    )
    winner: str | None = Field(default=None, description="The debater a judge found most convincing.")
    confidence: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="The judge's confidence, or the share of ballots for the answer when the vote decided.",
    )
    rationale: str = Field(description="Why: the judge's reasons, or the vote in words.")
    votes: dict[str, int] = Field(
        default_factory=dict, description="Ballots per answer, most first (debaters' latest answers)."
    )
    ballots: list[Ballot] = Field(default_factory=list)
    dissent: list[Dissent] = Field(default_factory=list)
    tied: list[str] = Field(default_factory=list, description="The answers that tied, for a tie.")
    judge: str | None = Field(default=None, description="The judge who decided or was asked to.")
    assessments: dict[str, str] = Field(
        default_factory=dict, description="The judge's assessment of each debater."
    )
    note: str | None = Field(
        default=None,
        description="What went differently from the plan: a judge whose reply could not be read, a budget "
        "that left no room for the judge.",
    )

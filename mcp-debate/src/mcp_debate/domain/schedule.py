"""Who speaks when: the steps of a debate, derived from its protocol, its roles and its progress.

A *step* is one participant's LLM call that ends in a committed message: a debater's turn, a
moderator's decision, a judge's verdict. Steps are numbered from 1 like turns (``messages.turn``), so
every step is committed once, whatever process takes it.

While a debate is in its ``debate`` phase, its steps follow a fixed sequence: in each round every
debater in speaking order, then the moderator (if any) after every round but the last. The sequence
ends early when the debate stops (consensus, the moderator, the budget); a debate whose judge must
still speak is then in its ``closing`` phase, whose one step is the judge's verdict.

Nothing here reads storage: the next step follows from the debate row alone (``turns_taken``, ``phase``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Role = Literal["debater", "judge", "moderator"]
ProtocolName = Literal["rounds", "vote", "judged"]
Phase = Literal["debate", "closing"]
StepKind = Literal["turn", "moderation", "verdict"]

ROLE_OF_STEP: dict[StepKind, Role] = {"turn": "debater", "moderation": "moderator", "verdict": "judge"}


@dataclass(frozen=True, slots=True)
class Step:
    """One step: what kind, whose (speaking position), in which round."""

    kind: StepKind
    position: int
    round: int


def sequence(roles: list[Role], max_rounds: int) -> tuple[Step, ...]:
    """The steps of the debate phase when nothing stops it early."""
    return _sequence(tuple(roles), max_rounds)


@lru_cache(maxsize=1024)
def _sequence(roles: tuple[Role, ...], max_rounds: int) -> tuple[Step, ...]:
    """Built once per shape of debate: views ask for it several times per call."""
    debaters = [i for i, role in enumerate(roles) if role == "debater"]
    moderator = next((i for i, role in enumerate(roles) if role == "moderator"), None)
    steps: list[Step] = []
    for round_no in range(1, max_rounds + 1):
        steps += [Step("turn", position, round_no) for position in debaters]
        if moderator is not None and round_no < max_rounds:
            steps.append(Step("moderation", moderator, round_no))
    return tuple(steps)


def judge_speaks_by_plan(protocol: ProtocolName, roles: list[Role]) -> bool:
    """Whether a judge gives the verdict however the rounds go (in ``vote`` it only breaks ties)."""
    return protocol != "vote" and "judge" in roles


def planned_steps(protocol: ProtocolName, roles: list[Role], max_rounds: int) -> int:
    """Steps of a debate that runs its full course (a ``vote`` tie-break not counted)."""
    debaters = roles.count("debater")
    moderations = (max_rounds - 1) if "moderator" in roles else 0
    return debaters * max_rounds + moderations + (1 if judge_speaks_by_plan(protocol, roles) else 0)


def most_steps(roles: list[Role], max_rounds: int) -> int:
    """The most steps a debate can take: its full sequence, then a judge's verdict if it has a judge."""
    return len(sequence(roles, max_rounds)) + (1 if "judge" in roles else 0)


def next_step(roles: list[Role], max_rounds: int, turns_taken: int, phase: Phase) -> Step | None:
    """The step after ``turns_taken`` committed ones; None when the debate has none left."""
    steps = sequence(roles, max_rounds)
    if phase == "closing":
        if "judge" not in roles:
            return None
        judge = roles.index("judge")
        last_round = steps[min(turns_taken, len(steps)) - 1].round if turns_taken else 1
        return Step("verdict", judge, last_round)
    return steps[turns_taken] if turns_taken < len(steps) else None


def ends_round(roles: list[Role], max_rounds: int, turns_taken: int) -> bool:
    """Whether step ``turns_taken`` (just committed) was the last debater turn of its round."""
    steps = sequence(roles, max_rounds)
    if not 0 < turns_taken <= len(steps) or steps[turns_taken - 1].kind != "turn":
        return False
    return (
        turns_taken == len(steps)
        or steps[turns_taken].kind != "turn"
        or steps[turns_taken].round > steps[turns_taken - 1].round
    )

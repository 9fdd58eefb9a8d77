"""What a committed step changes: the vote, whether the rounds go on, and the verdict once they end.

Pure decisions, made inside the transaction that commits the step, so a step and its consequences
(a consensus stop, the verdict) are stored together or not at all:

- a debater's turn updates its ballot; after the last debater of a round (but the last round), with
  ``stop_on_consensus``, every debater having answered alike in that round stops the rounds;
- a moderator's ``stop`` stops the rounds;
- the last step of the sequence ends the rounds as ``completed``.

When the rounds end, the judge speaks next if it has to (``rounds``/``judged``: always; ``vote``: to
break a tie), otherwise the verdict is the vote and the debate completes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast, get_args

from mcp_debate.domain import schedule
from mcp_debate.domain.models import Debate, EndReason, Message
from mcp_debate.domain.schedule import Phase, Step
from mcp_debate.domain.verdict import Ballot, Verdict
from mcp_debate.protocols import verdicts
from mcp_debate.protocols.answers import normalize
from mcp_debate.protocols.structured import JudgeReply

_END_REASONS = frozenset(get_args(EndReason))


@dataclass(frozen=True, slots=True)
class Closing:
    """How the debate goes on once its rounds have ended."""

    phase: Phase
    complete: bool
    verdict: Verdict | None


def ballots_after(debate: Debate, step: Step, answer: str | None) -> list[Ballot]:
    if step.kind != "turn":
        return debate.ballots
    me = debate.participants[step.position]
    return verdicts.record_ballot(debate.ballots, me.name, answer, step.round)


def stop_after(debate: Debate, step: Step, decision: str | None) -> EndReason | None:
    """Why the rounds end after ``step`` (``debate`` as committed with it); None when they go on."""
    if step.kind == "moderation" and decision == "stop":
        return "moderator"
    if (
        step.kind == "turn"
        and debate.stop_on_consensus
        and step.round < debate.max_rounds
        and schedule.ends_round(debate.roles, debate.max_rounds, debate.turns_taken)
        and agree(debate, step.round)
    ):
        return "consensus"
    if schedule.next_step(debate.roles, debate.max_rounds, debate.turns_taken, "debate") is None:
        return "completed"
    return None


def agree(debate: Debate, round_no: int) -> bool:
    """Every debater answered in ``round_no``, and all alike."""
    by_name = {b.participant: b for b in debate.ballots}
    ballots = [by_name.get(p.name) for p in debate.debaters]
    if any(b is None or b.round != round_no or b.answer is None for b in ballots):
        return False
    return len({normalize(b.answer) for b in ballots if b and b.answer}) == 1


def close(debate: Debate, turns: list[Message], note: str | None = None) -> Closing:
    """The rounds are over: the judge is due, or the vote decides now."""
    judge = debate.with_role("judge")
    spoke = any(b.answer for b in debate.ballots) or any(
        m.kind == "turn"
        and m.participant is not None
        and debate.participants[m.participant].role == "debater"
        for m in turns
    )
    if judge is not None and spoke and (debate.protocol != "vote" or verdicts.tally(debate).tied):
        return Closing("closing", complete=False, verdict=None)
    return Closing(debate.phase, complete=True, verdict=by_vote(debate, turns, note))


def out_of_budget(
    debate: Debate, step: Step, turns: list[Message], why: str
) -> tuple[Closing, EndReason | None]:
    """A step whose call does not fit the budget: the rounds stop (``budget_exhausted``) and the judge
    speaks next if due; a judge whose own call does not fit leaves the verdict to the vote."""
    if step.kind != "verdict":
        return close(debate, turns, note=f"the budget ran out: {why}"), "budget_exhausted"
    judge = debate.participants[step.position].name
    verdict = by_vote(
        debate, turns, f"the budget did not allow the judge's call ({why}); the verdict is the vote"
    )
    ended = cast(EndReason, debate.stopped_reason) if debate.stopped_reason in _END_REASONS else None
    return Closing(
        debate.phase, True, verdict.model_copy(update={"judge": judge}) if verdict else None
    ), ended


def by_vote(debate: Debate, turns: list[Message], note: str | None = None) -> Verdict | None:
    """The vote's verdict; None for a plain debate (no judge, no answers asked), which decides nothing."""
    if not debate.asks_for_answers and debate.with_role("judge") is None:
        return None
    if not debate.asks_for_answers:
        return Verdict(
            answer=None,
            method="none",
            rationale="No verdict: the debaters were not asked for answers and the judge did not decide.",
            note=note,
        )
    return verdicts.by_vote(debate, turns, note=note)


def judged(debate: Debate, reply: JudgeReply | None, problem: str | None, turns: list[Message]) -> Verdict:
    """The verdict after the judge's step: its own when readable, else the vote, saying why."""
    judge = debate.with_role("judge")
    name = judge.name if judge else "judge"
    if reply is not None:
        return verdicts.by_judge(debate, reply, name, turns)
    note = f"the judge's reply could not be read, even when asked again ({problem}); the verdict is the vote"
    if not debate.asks_for_answers:
        note = f"no verdict: the judge's reply could not be read, even when asked again ({problem})"
    fallback = by_vote(debate, turns, note)
    assert fallback is not None  # a judge is present
    return fallback.model_copy(update={"judge": name})

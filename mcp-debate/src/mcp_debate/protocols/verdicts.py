"""From ballots (and a judge's reply) to a verdict. Pure functions: same inputs, same verdict.

The vote counts each debater's latest readable final answer (answers compared by
:func:`~mcp_debate.protocols.answers.normalize`). The most ballots wins; a tie at the top is a tie
(a judge, when the debate has one, may break it). A debater whose answer differs from the verdict's,
or who gave none, dissents, and its latest turn says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcp_debate.domain.models import Debate, Message
from mcp_debate.domain.verdict import Ballot, Dissent, Verdict
from mcp_debate.protocols.answers import normalize
from mcp_debate.protocols.structured import JudgeReply

REASON_WORDS = 60


@dataclass(frozen=True, slots=True)
class Tally:
    ballots: list[Ballot]
    """One per debater, in speaking order (answer None: it gave no readable answer)."""
    counts: list[tuple[str, int]]
    """(answer as first written, ballots), most first, then in order of first appearance."""

    @property
    def voters(self) -> int:
        return sum(n for _, n in self.counts)

    @property
    def leaders(self) -> list[str]:
        if not self.counts:
            return []
        top = self.counts[0][1]
        return [answer for answer, n in self.counts if n == top]

    @property
    def tied(self) -> bool:
        return len(self.leaders) > 1


def record_ballot(ballots: list[Ballot], debater: str, answer: str | None, round_no: int) -> list[Ballot]:
    """The ballots after a debater's turn: its answer replaces its previous one; no answer keeps it."""
    if answer is None:
        return ballots
    kept = [b for b in ballots if b.participant != debater]
    return [*kept, Ballot(participant=debater, answer=answer, round=round_no)]


def tally(debate: Debate) -> Tally:
    cast = {b.participant: b for b in debate.ballots}
    ballots = [
        cast.get(p.name) or Ballot(participant=p.name, answer=None, round=None) for p in debate.debaters
    ]
    shown: dict[str, str] = {}
    counts: dict[str, int] = {}
    for ballot in ballots:
        if ballot.answer is None:
            continue
        key = normalize(ballot.answer)
        shown.setdefault(key, ballot.answer)
        counts[key] = counts.get(key, 0) + 1
    order = sorted(counts, key=lambda k: (-counts[k], list(shown).index(k)))
    return Tally(ballots, [(shown[k], counts[k]) for k in order])


def by_vote(debate: Debate, turns: list[Message], note: str | None = None) -> Verdict:
    """The verdict of the vote alone."""
    count = tally(debate)
    none = Verdict(
        answer=None,
        method="none",
        rationale="No debater gave a readable final answer.",
        votes=dict(count.counts),
        ballots=count.ballots,
        note=note,
    )
    if not count.counts:
        return none
    if count.tied:
        tied = count.leaders
        each = count.counts[0][1]
        return none.model_copy(
            update={
                "method": "tie",
                "tied": tied,
                "rationale": f"The vote is tied: {_join(tied)} have {_ballots(each)} each.",
            }
        )
    answer, top = count.counts[0]
    others = [f"{n} answered {a}" for a, n in count.counts[1:]]
    abstained = len(count.ballots) - count.voters
    if abstained:
        others.append(f"{abstained} gave no readable answer")
    rationale = f"{top} of {len(count.ballots)} debaters answered {answer}" + (
        f" ({', '.join(others)})." if others else "."
    )
    return none.model_copy(
        update={
            "answer": answer,
            "method": "unanimous" if top == len(count.ballots) else "majority",
            "confidence": round(top / len(count.ballots), 4),
            "rationale": rationale,
            "dissent": dissent(debate, count, answer, turns),
        }
    )


def by_judge(
    debate: Debate, reply: JudgeReply, judge: str, turns: list[Message], note: str | None = None
) -> Verdict:
    """The verdict a judge gave (already validated against the debate), with the vote beside it."""
    count = tally(debate)
    return Verdict(
        answer=reply.answer,
        method="judge",
        winner=reply.winner,
        confidence=reply.confidence,
        rationale=reply.rationale,
        votes=dict(count.counts),
        ballots=count.ballots,
        dissent=dissent(debate, count, reply.answer, turns) if count.counts else [],
        judge=judge,
        assessments=reply.assessments,
        note=note,
    )


def dissent(debate: Debate, count: Tally, answer: str, turns: list[Message]) -> list[Dissent]:
    key = normalize(answer)
    latest = {m.speaker: m for m in turns if m.kind == "turn"}
    out = []
    for ballot in count.ballots:
        if ballot.answer is not None and normalize(ballot.answer) == key:
            continue
        said = latest.get(ballot.participant)
        out.append(
            Dissent(
                participant=ballot.participant,
                answer=ballot.answer,
                reason=excerpt(said.content) if said else "(did not speak)",
            )
        )
    return out


def excerpt(content: str) -> str:
    """The start of a turn, without its final-answer line."""
    lines = [line for line in content.splitlines() if "final answer" not in line.lower()]
    words = " ".join(lines).split()
    return " ".join(words[:REASON_WORDS]) + (" …" if len(words) > REASON_WORDS else "")


def _ballots(n: int) -> str:
    return "1 ballot" if n == 1 else f"{n} ballots"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

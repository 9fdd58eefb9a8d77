"""The verdict section every export opens with: the answer, how it was reached, the vote, who dissented.

One wording (:func:`lines`) shared by the three text formats; each format only marks it up.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcp_debate.domain.models import DebateView
from mcp_debate.domain.verdict import Verdict

_METHODS = {
    "unanimous": "unanimous vote",
    "majority": "majority vote",
    "judge": "the judge",
    "tie": "the vote tied",
    "none": "no verdict",
}


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    text: str


def headline(verdict: Verdict) -> str:
    """``7 (majority vote, confidence 0.67)``, ``No answer: the vote tied``."""
    how = _METHODS[verdict.method]
    if verdict.answer is None:
        return f"No answer: {how}"
    sure = f", confidence {verdict.confidence:.2f}" if verdict.confidence is not None else ""
    return f"{verdict.answer} ({how}{sure})"


def lines(debate: DebateView) -> list[Line]:
    """The verdict section as labelled lines; empty for a debate that decides nothing (yet)."""
    verdict = debate.verdict
    if verdict is None:
        if debate.stopped_reason is None and debate.ballots:
            votes = ", ".join(f"{b.participant}: {b.answer}" for b in debate.ballots)
            return [Line("Verdict", "not yet (the debate goes on)"), Line("Answers so far", votes)]
        return []
    out = [Line("Verdict", headline(verdict))]
    if debate.stopped_reason:
        out.append(Line("Stopped", debate.stopped_reason.replace("_", " ")))
    if verdict.winner:
        out.append(Line("Winner", verdict.winner))
    if verdict.judge:
        out.append(Line("Judge", verdict.judge))
    out.append(Line("Rationale", verdict.rationale))
    if verdict.votes:
        out.append(Line("Votes", ", ".join(f"{answer}: {n}" for answer, n in verdict.votes.items())))
    for dissent in verdict.dissent:
        out.append(
            Line(f"Dissent: {dissent.participant}", f"{dissent.answer or 'no answer'}: {dissent.reason}")
        )
    if verdict.note:
        out.append(Line("Note", verdict.note))
    return out

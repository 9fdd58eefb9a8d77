"""What the user sees while a debate runs, and the plain form of it for pipes and logs.

A :class:`Display` is told about the debate, each turn as it starts, each piece of text as it streams,
each finished turn with the debate's running totals, and the end. :class:`PlainDisplay` writes plain
lines with no cursor movement, so the output can be piped, logged or asserted on; the live terminal
form is in :mod:`mcp_debate.cli.live`.
"""

from __future__ import annotations

import sys
from typing import Protocol, TextIO

from mcp_debate.domain.models import DebateView, LedgerLine, Message, Participant, Summary
from mcp_debate.exports import verdict as verdict_section
from mcp_debate.exports.document import TRUNCATED


class Display(Protocol):
    def intro(self, view: DebateView, where: str, resumed: bool) -> None: ...
    def turn_started(self, view: DebateView, speaker: Participant) -> None: ...
    def delta(self, text: str) -> None: ...
    def turn_finished(self, message: Message | None, view: DebateView) -> None: ...
    def verdict(self, view: DebateView) -> None: ...
    def working(self, what: str) -> None: ...
    def summary(self, summary: Summary) -> None: ...
    def note(self, text: str) -> None: ...
    def close(self) -> None: ...


# -- wording shared by both displays --------------------------------------------------------------


def target(participant: Participant) -> str:
    return f"{participant.provider}/{participant.model}"


def money(cost: float) -> str:
    return f"${cost:.4f}" if cost < 100 else f"${cost:,.2f}"


def totals(line: LedgerLine) -> str:
    return f"{line.input_tokens + line.output_tokens:,} tokens, {money(line.cost_usd)}"


def turn_usage(message: Message) -> str:
    cached = ", cached" if message.cached else ""
    cut = f", {TRUNCATED}" if message.truncated else ""
    return (
        f"{message.input_tokens:,} in + {message.output_tokens:,} out tokens, {money(message.cost_usd)}, "
        f"{message.latency_ms / 1000:.2f} s{cached}{cut}"
    )


STEP_LABELS = {"moderation": " · decision", "verdict": " · verdict"}


def turn_heading(view: DebateView, speaker: Participant) -> str:
    """``[3/9] Round 1 of 3 · Pragmatist (mock/mock-1)`` for the step about to be taken (a judge's and a
    moderator's say so: ``· verdict``, ``· decision``)."""
    turn = view.turns_taken + 1
    kind = STEP_LABELS.get(view.next_step_kind or "", "")
    return (
        f"[{turn}/{view.total_turns}] Round {view.current_round} of {view.max_rounds} · {speaker.name} "
        f"({target(speaker)}){kind}"
    )


def skipped_line(view: DebateView) -> str:
    """A step that made no call: the budget ended the debate first."""
    reason = (view.stopped_reason or "stopped").replace("_", " ")
    return f"  -> not taken: {reason} | total: {totals(view.ledger.total)}"


def verdict_lines(view: DebateView) -> list[str]:
    return [f"{line.label}: {line.text}" for line in verdict_section.lines(view)]


def intro_lines(view: DebateView, where: str, resumed: bool) -> list[str]:
    verb = "Resuming" if resumed else "Debate"
    lines = [
        f"{verb} {view.id}: {view.topic}",
        f"  {len(view.participants)} participants, {_count(view.max_rounds, 'round')}"
        f" ({_count(view.total_turns, 'turn')}) on {where}",
    ]
    width = max(len(p.name) for p in view.participants)
    for p in view.participants:
        stance = f"  {p.stance}" if p.stance else ""
        lines.append(f"  - {p.name.ljust(width)}  {target(p)}{stance}")
    lines += [f"  rule: {rule}" for rule in view.rules]
    if resumed and view.turns_taken:
        lines.append(f"  {view.turns_taken} of {view.total_turns} turns already taken")
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def summary_lines(summary: Summary) -> list[str]:
    lines = ["Summary:"]
    lines += [f"  {side.participant}: {side.text}" for side in summary.sides]
    if summary.narrative:
        lines.append(f"  {summary.narrative}")
    return lines


# -- plain lines ----------------------------------------------------------------------------------


class PlainDisplay:
    """Line-oriented output: a heading per turn, its text as it streams, then its usage and the totals."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._streamed = False
        self._mid_line = False

    def _line(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def intro(self, view: DebateView, where: str, resumed: bool) -> None:
        for line in intro_lines(view, where, resumed):
            self._line(line)

    def turn_started(self, view: DebateView, speaker: Participant) -> None:
        self._line()
        self._line(turn_heading(view, speaker))
        self._streamed = False

    def delta(self, text: str) -> None:
        self._streamed = self._mid_line = True
        self.out.write(text)
        self.out.flush()

    def _end_line(self) -> None:
        if self._mid_line:
            self._line()
            self._mid_line = False

    def turn_finished(self, message: Message | None, view: DebateView) -> None:
        self._end_line()
        if message is None:
            self._line(skipped_line(view))
            return
        if not self._streamed:
            self._line(message.content)
        self._line(f"  -> {turn_usage(message)} | total: {totals(view.ledger.total)}")

    def verdict(self, view: DebateView) -> None:
        lines = verdict_lines(view)
        if lines:
            self._line()
            for line in lines:
                self._line(line)

    def working(self, what: str) -> None:
        self._line()
        self._line(f"{what}...")

    def summary(self, summary: Summary) -> None:
        for line in summary_lines(summary):
            self._line(line)

    def note(self, text: str) -> None:
        self._line(text)

    def close(self) -> None:
        self._end_line()

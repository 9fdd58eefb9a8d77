"""Plain-text export: for terminals, e-mail and logs."""

from __future__ import annotations

import textwrap

from mcp_debate.exports import verdict
from mcp_debate.exports.document import ExportDocument, stance_label, usage_line

WIDTH = 100


def _indented(text: str) -> list[str]:
    lines: list[str] = []
    for paragraph in text.strip().splitlines():
        lines += textwrap.wrap(paragraph, WIDTH - 4, initial_indent="    ", subsequent_indent="    ") or [""]
    return lines


def render(doc: ExportDocument) -> str:
    d = doc.debate
    out = [d.name, "=" * min(len(d.name), WIDTH), f"Topic: {d.topic}", f"State: {doc.progress_line()}", ""]
    if verdict_lines := verdict.lines(d):
        out += ["Verdict:", *(f"  {v.label}: {v.text}" for v in verdict_lines), ""]
    if d.rules:
        out += ["Rules:", *(f"  - {r}" for r in d.rules), ""]
    out += ["Participants:"]
    out += [
        f"  {p.position + 1}. {p.name}: {stance_label(p)} ({p.provider}/{p.model})" for p in d.participants
    ]
    current_round = None
    for m in doc.messages:
        if m.round is not None and m.round != current_round:
            current_round = m.round
            out += ["", f"Round {m.round}", "-" * len(f"Round {m.round}")]
        label = (
            f"[turn {m.turn}] {m.speaker} ({usage_line(m)})" if m.kind == "turn" else f"{m.speaker} (added)"
        )
        out += ["", f"{label}:", *_indented(m.content)]
    if doc.summary is not None:
        s = doc.summary
        out += ["", f"Summary (messages #{s.covers_from_seq}-#{s.covers_to_seq}):"]
        out += [f"  - {side.participant}: {side.text}" for side in s.sides]
        if s.narrative:
            out += _indented(s.narrative)
    out += ["", "Ledger:"]
    for line in [*d.ledger.participants, d.ledger.summaries, d.ledger.total]:
        out.append(
            f"  {line.name}: {line.turns} turns, {line.calls} calls, {line.input_tokens} in / "
            f"{line.output_tokens} out tokens, ${line.cost_usd:.6f}"
        )
    return "\n".join(out) + "\n"

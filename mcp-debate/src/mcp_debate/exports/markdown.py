"""Markdown export: readable as plain text, rendered nicely anywhere Markdown is.

Names, topics and rules are escaped to plain text. Message content stays Markdown (replies are
written in it), but never carries markup: every ``<`` is escaped, so no raw HTML, HTML block or
autolink a participant (or whoever adds a message) writes reaches a reader's renderer.
"""

from __future__ import annotations

import re

from mcp_debate.exports import verdict
from mcp_debate.exports.document import ExportDocument, stance_label, usage_line

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
_TAG_OPEN = re.compile(r"(\\*)<")


def inline(text: str) -> str:
    """Text safe inside a heading, emphasis or table cell: specials escaped, one line."""
    return _INLINE_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def without_html(text: str) -> str:
    """Markdown with every ``<`` escaped: raw HTML shows as the text it is, everything else renders.

    A ``<`` after an odd run of backslashes is escaped already; after an even run (including none)
    it gets one more backslash. Inside code the backslash shows: a small price for never guessing
    wrongly where a renderer thinks code ends.
    """
    return _TAG_OPEN.sub(lambda m: m.group(1) + ("" if len(m.group(1)) % 2 else "\\") + "<", text)


def render(doc: ExportDocument) -> str:
    d = doc.debate
    out = [
        f"# {inline(d.name)}",
        "",
        f"**Topic:** {inline(d.topic)}  ",
        f"**State:** {doc.progress_line()}  ",
        f"**Created:** {d.created_at}",
        "",
    ]
    if verdict_lines := verdict.lines(d):
        out += ["## Verdict", "", *(f"- **{inline(v.label)}:** {inline(v.text)}" for v in verdict_lines), ""]
    if d.rules:
        out += ["## Rules", "", *(f"- {inline(rule)}" for rule in d.rules), ""]
    out += ["## Participants", "", "| # | Name | Stance | Model |", "|---|---|---|---|"]
    out += [
        f"| {p.position + 1} | {inline(p.name)} | {inline(stance_label(p))} "
        f"| {inline(p.provider)}/{inline(p.model)} |"
        for p in d.participants
    ]
    out += ["", "## Transcript", ""]
    current_round = None
    for m in doc.messages:
        if m.round is not None and m.round != current_round:
            current_round = m.round
            out += [f"### Round {m.round}", ""]
        if m.kind == "turn":
            out += [f"**{inline(m.speaker)}** (turn {m.turn}) · _{inline(usage_line(m))}_", ""]
        else:
            out += [f"**{inline(m.speaker)}** (added message)", ""]
        out += [without_html(m.content.strip()), ""]
    if doc.summary is not None:
        s = doc.summary
        out += ["## Summary", "", f"_Covers messages #{s.covers_from_seq}–#{s.covers_to_seq}._", ""]
        out += [f"- **{inline(side.participant)}**: {inline(side.text)}" for side in s.sides]
        if s.narrative:
            out += ["", inline(s.narrative)]
        out.append("")
    out += [
        "## Ledger",
        "",
        "| Participant | Turns | Calls | Input tokens | Output tokens | Cost (USD) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for line in [*d.ledger.participants, d.ledger.summaries]:
        out.append(
            f"| {inline(line.name)} | {line.turns} | {line.calls} | {line.input_tokens} "
            f"| {line.output_tokens} | {line.cost_usd:.6f} |"
        )
    t = d.ledger.total
    out.append(
        f"| **Total** | {t.turns} | {t.calls} | {t.input_tokens} | {t.output_tokens} | {t.cost_usd:.6f} |"
    )
    return "\n".join(out) + "\n"

"""HTML export: one standalone page; every piece of text escaped, so nothing in a debate can inject markup."""

from __future__ import annotations

from html import escape

from mcp_debate.exports import verdict
from mcp_debate.exports.document import ExportDocument, stance_label, usage_line

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem}"
    "td.n{text-align:right}.meta{color:#666;font-size:.9em}.turn{margin:1rem 0}"
    ".external{border-left:3px solid #999;padding-left:.75rem}"
    ".verdict dt{font-weight:bold}.verdict dd{margin:0 0 .5rem 1rem}"
)


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _paragraphs(text: str) -> str:
    blocks = [b for b in text.strip().split("\n\n") if b.strip()]
    return "".join(f"<p>{'<br>'.join(_e(line) for line in b.splitlines())}</p>" for b in blocks)


def render(doc: ExportDocument) -> str:
    d = doc.debate
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(d.name)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(d.name)}</h1>",
        f"<p><strong>Topic:</strong> {_e(d.topic)}</p>",
        f'<p class="meta">{_e(doc.progress_line())} · created {_e(d.created_at)}</p>',
    ]
    if verdict_lines := verdict.lines(d):
        parts.append('<h2>Verdict</h2><dl class="verdict">')
        parts += [f"<dt>{_e(v.label)}</dt><dd>{_e(v.text)}</dd>" for v in verdict_lines]
        parts.append("</dl>")
    if d.rules:
        parts.append("<h2>Rules</h2><ul>" + "".join(f"<li>{_e(r)}</li>" for r in d.rules) + "</ul>")
    parts.append("<h2>Participants</h2><table><tr><th>#</th><th>Name</th><th>Stance</th><th>Model</th></tr>")
    parts += [
        f"<tr><td>{p.position + 1}</td><td>{_e(p.name)}</td><td>{_e(stance_label(p))}</td>"
        f"<td>{_e(p.provider)}/{_e(p.model)}</td></tr>"
        for p in d.participants
    ]
    parts.append("</table><h2>Transcript</h2>")
    current_round = None
    for m in doc.messages:
        if m.round is not None and m.round != current_round:
            current_round = m.round
            parts.append(f"<h3>Round {m.round}</h3>")
        if m.kind == "turn":
            parts.append(
                f'<div class="turn"><strong>{_e(m.speaker)}</strong> '
                f'<span class="meta">turn {m.turn} · {_e(usage_line(m))}</span>{_paragraphs(m.content)}</div>'
            )
        else:
            parts.append(
                f'<div class="turn external"><strong>{_e(m.speaker)}</strong> '
                f'<span class="meta">added message</span>{_paragraphs(m.content)}</div>'
            )
    if doc.summary is not None:
        s = doc.summary
        parts.append(
            "<h2>Summary</h2>"
            f'<p class="meta">Covers messages #{s.covers_from_seq}–#{s.covers_to_seq}.</p><ul>'
        )
        parts += [f"<li><strong>{_e(side.participant)}</strong>: {_e(side.text)}</li>" for side in s.sides]
        parts.append("</ul>" + (_paragraphs(s.narrative) if s.narrative else ""))
    parts.append(
        "<h2>Ledger</h2><table><tr><th>Participant</th><th>Turns</th><th>Calls</th><th>Input tokens</th>"
        "<th>Output tokens</th><th>Cost (USD)</th></tr>"
    )
    for line in [*d.ledger.participants, d.ledger.summaries, d.ledger.total]:
        parts.append(
            f'<tr><td>{_e(line.name)}</td><td class="n">{line.turns}</td><td class="n">{line.calls}</td>'
            f'<td class="n">{line.input_tokens}</td><td class="n">{line.output_tokens}</td>'
            f'<td class="n">{line.cost_usd:.6f}</td></tr>'
        )
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"

"""Export formats: complete, faithful, and safe (HTML escapes everything a debate can contain)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from mcp_debate.domain.models import DebateView, Ledger, LedgerLine, Message, SideSummary, Summary
from mcp_debate.domain.states import DebateState
from mcp_debate.exports import ExportDocument, render
from tests.debate.unit.factories import NOW, participant

EVIL = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


def document() -> ExportDocument:
    people = [participant(0, "Pro <b>", "for | a ban"), participant(1, "Con", None)]
    ledger = Ledger(
        participants=[
            LedgerLine(name="Pro <b>", turns=1, calls=2, input_tokens=100, output_tokens=40, cost_usd=0.0012),
            LedgerLine(name="Con", turns=1, calls=1, input_tokens=120, output_tokens=50, cost_usd=0.0015),
        ],
        summaries=LedgerLine(
            name="debate summaries", calls=1, input_tokens=300, output_tokens=80, cost_usd=0.002
        ),
        total=LedgerLine(
            name="total", turns=2, calls=4, input_tokens=520, output_tokens=170, cost_usd=0.0047
        ),
    )
    view = DebateView(
        id="deb_x",
        name="Cars & <cities>",
        topic=f"Topic {EVIL}",
        rules=["No *shouting*", EVIL],
        max_rounds=1,
        state=DebateState.COMPLETED,
        turns_taken=2,
        created_at=NOW,
        updated_at=NOW,
        participants=people,
        ledger=ledger,
        message_count=3,
    )

    def msg(seq: int, kind: str, speaker: str, content: str, position: int | None) -> Message:
        is_turn = kind == "turn"
        return Message(
            id=seq,
            debate_id="deb_x",
            seq=seq,
            kind=kind,
            round=1 if is_turn else None,  # type: ignore[arg-type]
            turn=seq if is_turn else None,
            participant=position,
            speaker=speaker,
            content=content,
            input_tokens=100 if is_turn else 0,
            output_tokens=40 if is_turn else 0,
            cost_usd=0.0012 if is_turn else 0,
            latency_ms=12.5,
            provider="mock" if is_turn else None,
            model="mock-1" if is_turn else None,
            created_at=NOW,
        )

    messages = [
        msg(1, "turn", "Pro <b>", f"First paragraph {EVIL}\n\nSecond paragraph.", 0),
        msg(2, "external", "Moderator", "Please address costs.", None),
        msg(3, "turn", "Con", "Costs matter more than *ideals*.", 1),
    ]
    summary = Summary(
        id=1,
        debate_id="deb_x",
        scope="debate",
        participant=None,
        covers_from_seq=1,
        covers_to_seq=3,
        message_count=3,
        sides=[SideSummary(participant="Con", stance=None, text=f"cost {EVIL}", source="llm")],
        narrative="They disagreed.",
        content="...",
        created_at=NOW,
    )
    return ExportDocument(exported_at=NOW, debate=view, messages=messages, summary=summary)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_escapes_every_piece_of_debate_text() -> None:
    content, media_type, extension = render(document(), "html")
    assert media_type.startswith("text/html") and extension == "html"
    assert content.startswith("<!DOCTYPE html>")
    parser = _Collector()
    parser.feed(content)
    assert "script" not in parser.tags and "img" not in parser.tags and "b" not in parser.tags
    assert not any(name.startswith("on") for name, _ in parser.attributes)
    text = "".join(parser.text)
    for visible in ('<script>alert("x")</script>', "Pro <b>", "Cars & <cities>", "Please address costs."):
        assert visible in text  # shown to the reader as text
    assert "&lt;script&gt;" in content and "<br>" not in content.split("First paragraph")[1].split("</p>")[0]
    assert "<p>Second paragraph.</p>" in content


def test_markdown_has_everything_and_keeps_tables_intact() -> None:
    content, media_type, _ = render(document(), "markdown")
    assert media_type.startswith("text/markdown")
    assert content.startswith("# Cars & \\<cities\\>\n")
    assert "| 1 | Pro \\<b\\> | for \\| a ban | mock/mock-1 |" in content
    assert "| 2 | Con | no assigned stance | mock/mock-1 |" in content
    assert "### Round 1" in content
    assert "**Moderator** (added message)" in content
    assert "Costs matter more than *ideals*." in content  # the transcript stays Markdown
    assert "_Covers messages #1–#3._" in content
    assert "| **Total** | 2 | 4 | 520 | 170 | 0.004700 |" in content
    participants_table = [line for line in content.splitlines() if line.startswith("| ") and "mock/" in line]
    assert len(participants_table) == 2
    for row in participants_table:  # an escaped pipe inside a cell does not add a column
        assert len(re.findall(r"(?<!\\)\|", row)) == 5


def test_json_is_the_whole_document() -> None:
    content, media_type, _ = render(document(), "json")
    assert media_type == "application/json"
    data = json.loads(content)
    assert data["schema_version"] == "mcp-debate/export/v1"
    assert data["debate"]["ledger"]["total"]["total_tokens"] == 690
    assert [m["seq"] for m in data["messages"]] == [1, 2, 3]
    assert data["summary"]["covers_to_seq"] == 3
    assert data["messages"][0]["content"].startswith("First paragraph <script>")


def test_text_is_readable_and_complete() -> None:
    content, media_type, _ = render(document(), "text")
    assert media_type.startswith("text/plain")
    lines = content.splitlines()
    assert lines[0] == "Cars & <cities>"
    assert "  1. Pro <b>: for | a ban (mock/mock-1)" in lines
    assert any(line.startswith("[turn 3] Con (mock/mock-1 · 100 in / 40 out tokens") for line in lines)
    assert "Moderator (added):" in lines
    assert "    Costs matter more than *ideals*." in lines
    assert any(line.startswith("  total: 2 turns, 4 calls, 520 in / 170 out tokens") for line in lines)
    assert max(len(line) for line in lines if line.startswith("    ")) <= 100


@pytest.mark.parametrize("fmt", ["markdown", "json", "html", "text"])
def test_every_format_names_every_speaker_and_the_ledger(fmt: str) -> None:
    content, _, _ = render(document(), fmt)  # type: ignore[arg-type]
    for needle in ("Con", "Moderator", "0.0047", "520"):
        assert needle in content


@pytest.mark.parametrize("fmt", ["markdown", "json", "html", "text"])
def test_every_format_marks_a_turn_cut_at_its_reply_cap_and_only_that_one(fmt: str) -> None:
    doc = document()
    cut = doc.messages[2].model_copy(update={"finish_reason": "length"})
    whole = doc.messages[0].model_copy(update={"finish_reason": "stop"})
    doc = doc.model_copy(update={"messages": [whole, doc.messages[1], cut]})
    content, _, _ = render(doc, fmt)  # type: ignore[arg-type]
    if fmt == "json":
        assert [m["truncated"] for m in json.loads(content)["messages"]] == [False, False, True]
    else:
        assert content.count("cut off at the reply cap") == 1
        assert content.index("cut off at the reply cap") > content.index("Costs matter") - 400

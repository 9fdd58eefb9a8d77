"""Summaries keep every side: the model's line when it wrote one, else the participant's own words."""

from __future__ import annotations

import re

import pytest

from mcp_debate.context import prompts
from mcp_debate.context.summarizer import SummaryUnreadable, _fit, _sides, read_summary
from mcp_debate.context.tokens import estimate_text
from mcp_debate.domain.models import SideSummary
from tests.debate.unit.factories import debate, history
from tests.debate.unit.factories import summary as summary_of


def test_the_json_reply_gives_a_position_per_participant_and_a_narrative_of_its_own() -> None:
    d = debate()
    reply = (
        'Here it is: {"positions": {"pro": "cars kill; 40% fewer injuries in Oslo", "Con": "a ban hurts '
        'shops", "Judge": "undecided"}, "narrative": "Both sides cited European cities."}'
    )
    positions, narrative = read_summary(reply, d, history(d, 3))
    assert positions == {
        "Pro": "cars kill; 40% fewer injuries in Oslo",
        "Con": "a ban hurts shops",
        "Judge": "undecided",
    }
    assert narrative == "Both sides cited European cities."


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("Pro: for it. Con: against.", "no JSON object"),
        ('{"positions": ["Pro"], "narrative": "x"}', '"positions" must be an object'),
        ('{"positions": {"Pro": "yes"}, "narrative": "x"}', '"positions" lacks Con, Judge'),
        ('{"positions": {"Pro": "y", "Con": "n", "Judge": "?"}, "narrative": ""}', '"narrative" must'),
    ],
)
def test_an_unreadable_summary_says_what_is_wrong(reply: str, problem: str) -> None:
    d = debate()
    with pytest.raises(SummaryUnreadable, match=re.escape(problem)):
        read_summary(reply, d, history(d, 3))


def test_a_side_the_model_did_not_give_is_taken_from_its_own_latest_words() -> None:
    d = debate()
    chunk = history(d, 6)
    chunk[4] = chunk[4].model_copy(update={"content": "Shops will close. Deliveries suffer. Third point."})
    sides = _sides(d, {"Pro": "for it"}, None, chunk)
    con = next(s for s in sides if s.participant == "Con")
    assert con.source == "extract"
    assert con.text.startswith("Shops will close.")


def test_a_side_silent_in_this_chunk_is_carried_from_the_previous_summary() -> None:
    d = debate()
    previous = summary_of(
        d, 3, [SideSummary(participant="Judge", stance=None, text="asked for evidence", source="llm")]
    )
    chunk = [m for m in history(d, 6) if m.participant != 2][:2]
    sides = _sides(d, {}, previous, chunk)
    judge = next(s for s in sides if s.participant == "Judge")
    assert (judge.source, judge.text) == ("carried", "asked for evidence")


@pytest.mark.parametrize("allowance", [100, 128, 200, 400])
def test_the_rendered_summary_never_overruns_its_allowance(allowance: int) -> None:
    d = debate()
    long = " ".join(["evidence"] * 300)
    sides = [
        SideSummary(participant=p.name, stance=p.stance, text=long, source="llm") for p in d.participants
    ]
    draft = summary_of(d, 3, sides, " ".join(["narrative"] * 200))
    fitted = _fit(draft, allowance)
    assert estimate_text(fitted.content) <= allowance
    assert [s.participant for s in fitted.sides] == ["Pro", "Con", "Judge"]


def test_the_rendered_summary_says_which_messages_it_replaces_and_lists_every_side() -> None:
    d = debate()
    sides = _sides(d, {"Pro": "yes", "Con": "no"}, None, history(d, 3))
    text = summary_of(d, 3, sides, "").content
    assert text.splitlines()[0] == "Summary of the debate so far (messages #1–#3, which it replaces):"
    assert "- Pro (for a ban): yes" in text
    assert "- Con (against a ban): no" in text
    assert "- Judge: point 3" in text


def test_the_summary_request_carries_the_previous_summary_and_the_new_messages() -> None:
    d = debate()
    previous = summary_of(
        d, 3, [SideSummary(participant="Pro", stance="for a ban", text="earlier claim", source="llm")]
    )
    request = prompts.summary_request(d, previous, history(d, 6)[3:], words=100)
    assert "Summary of the debate so far (messages #1–#3" in request
    assert "- Pro (for a ban): earlier claim" in request
    assert "Messages #4–#6:" in request
    assert "#5 Con: point 5" in request
    assert '"positions"' in request and '"narrative"' in request and "at most 100 words" in request
    assert "LATEST message" in request

"""Summaries keep every side: the model's line when it wrote one, else the participant's own words."""

from __future__ import annotations

from mcp_debate.context import prompts
from mcp_debate.context.summarizer import parse_reply
from mcp_debate.domain.models import SideSummary
from tests.debate.unit.factories import debate, history
from tests.debate.unit.factories import summary as summary_of


def test_lines_the_model_wrote_are_kept_per_participant_whatever_their_markup() -> None:
    d = debate()
    reply = (
        "- **Pro** (for a ban): cars kill; key claims: 40% fewer injuries in Oslo\n"
        "Con: a ban hurts shops; key claims: deliveries, disabled access\n"
        "**Judge:** undecided; key claims: wants data\n"
        "Narrative: both sides cited European cities."
    )
    sides, narrative = parse_reply(reply, d, None, history(d, 3))
    assert [(s.participant, s.source) for s in sides] == [("Pro", "llm"), ("Con", "llm"), ("Judge", "llm")]
    assert sides[0].text == "cars kill; key claims: 40% fewer injuries in Oslo"
    assert sides[0].stance == "for a ban"
    assert sides[2].text == "undecided; key claims: wants data"
    assert narrative == "both sides cited European cities."


def test_a_side_the_model_dropped_is_taken_from_its_own_latest_words() -> None:
    d = debate()
    chunk = history(d, 6)
    chunk[4] = chunk[4].model_copy(update={"content": "Shops will close. Deliveries suffer. Third point."})
    sides, narrative = parse_reply("Pro: for it.\nThe debate was lively.", d, None, chunk)
    con = next(s for s in sides if s.participant == "Con")
    assert con.source == "extract"
    assert con.text.startswith("Shops will close.")
    assert narrative == "The debate was lively."


def test_a_side_silent_in_this_chunk_is_carried_from_the_previous_summary() -> None:
    d = debate()
    previous = summary_of(
        d, 3, [SideSummary(participant="Judge", stance=None, text="asked for evidence", source="llm")]
    )
    chunk = [m for m in history(d, 6) if m.participant != 2][:2]
    sides, _ = parse_reply("nothing structured here", d, previous, chunk)
    judge = next(s for s in sides if s.participant == "Judge")
    assert (judge.source, judge.text) == ("carried", "asked for evidence")


def test_the_rendered_summary_says_which_messages_it_replaces_and_lists_every_side() -> None:
    d = debate()
    sides, narrative = parse_reply("Pro: yes\nCon: no", d, None, history(d, 3))
    text = summary_of(d, 3, sides, narrative).content
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
    assert '"NAME: current position; key claims: ..."' in request and "At most 100 words" in request

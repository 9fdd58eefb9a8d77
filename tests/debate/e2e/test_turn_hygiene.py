"""Turns that hold up with a real model, end to end on real mcp-debate and mcp-llm processes.

``mock-leak`` behaves like a small model that copies its instruction back and goes on to write other
speakers' turns; what is stored must be its own words only. A word rule sets the reply cap, a turn cut
at the cap is marked, and the context view shows the messages each participant was actually sent.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ServiceProcess
from tests.debate.conftest import post


def member(name: str, model: str, **config: Any) -> dict[str, Any]:
    return {
        "name": name,
        "stance": f"{name} side",
        "llm_config": {"provider": "mock", "model": model, **config},
    }


def run_debate(server: ServiceProcess, participants: list[dict[str, Any]], **args: Any) -> str:
    body = {"name": "Hygiene", "topic": "Should cities ban cars?", "participants": participants, **args}
    created = post(server, "create_debate", {"max_rounds": 2, **body})
    assert created.status_code == 200, created.text
    debate_id = str(created.json()["id"])
    ran = post(server, "run_debate", {"debate_id": debate_id}, timeout=120)
    assert ran.status_code == 200, ran.text
    return debate_id


def turns(server: ServiceProcess, debate_id: str) -> list[dict[str, Any]]:
    page = httpx.get(f"{server.url}/debates/{debate_id}/messages", timeout=10).json()
    return [m for m in page["messages"] if m["kind"] == "turn"]


def test_copied_instructions_and_turns_written_for_others_are_not_stored(
    debate_server: ServiceProcess,
) -> None:
    debate_id = run_debate(debate_server, [member("Ada", "mock-leak"), member("Ben", "mock-leak")])
    stored = turns(debate_server, debate_id)
    assert [m["speaker"] for m in stored] == ["Ada", "Ben", "Ada", "Ben"]
    for m in stored:
        lines = m["content"].splitlines()  # (mock-1's argument quotes the last user message's first words)
        assert not any(line.startswith(("Round", "[Instruction]")) for line in lines), m["content"]
        assert "I agree with every word" not in m["content"], m["content"]
        assert "my position stands" in m["content"]
    context = httpx.get(f"{debate_server.url}/debates/{debate_id}/context", timeout=10).json()
    sent = {p["participant"]: p["last_turn"]["messages"] for p in context["participants"]}
    ben = sent["Ben"]
    assert ben[0]["role"] == "system" and "You are Ben" in ben[0]["content"]
    last = ben[-1]["content"]
    assert last.startswith("Ada: ") and "\n\n[Instruction] Round 2 of 2." in last
    assert stored[2]["content"] in last  # Ada's second turn, verbatim, as Ben was sent it
    assert any(m["role"] == "assistant" and m["content"] == stored[1]["content"] for m in ben)


def test_a_word_rule_caps_the_reply_and_a_cut_turn_is_marked_everywhere(
    debate_server: ServiceProcess,
) -> None:
    tight = [member("Ada", "mock-1"), member("Ben", "mock-1")]
    debate_id = run_debate(debate_server, tight, rules=["At most 5 words per turn."], max_rounds=1)
    stored = turns(debate_server, debate_id)
    assert stored and all(m["truncated"] and m["finish_reason"] == "length" for m in stored)
    assert all(m["output_tokens"] <= 32 for m in stored)  # ceil(5 words x 1.5) + 24 tokens of slack
    for fmt, mark in (("markdown", "cut off at the reply cap"), ("text", "cut off at the reply cap")):
        exported = httpx.get(f"{debate_server.url}/debates/{debate_id}/export?format={fmt}", timeout=10)
        assert exported.text.count(mark) == len(stored)
    html = httpx.get(f"{debate_server.url}/debates/{debate_id}/export?format=html", timeout=10).text
    assert html.count("cut off at the reply cap") == len(stored)
    data = httpx.get(f"{debate_server.url}/debates/{debate_id}/export?format=json", timeout=10).json()
    assert all(m["truncated"] for m in data["messages"])

    roomy = run_debate(debate_server, tight, rules=["At most 200 words per turn."], max_rounds=1)
    assert not any(m["truncated"] for m in turns(debate_server, roomy))


def ledger_calls(server: ServiceProcess, debate_id: str) -> dict[str, int]:
    ledger = httpx.get(f"{server.url}/debates/{debate_id}", timeout=10).json()["ledger"]
    return {"summaries": ledger["summaries"]["calls"], "total": ledger["total"]["calls"]}


def test_summarize_debate_is_one_call_that_reads_every_side_and_the_ledger_counts_it(
    debate_server: ServiceProcess,
) -> None:
    debate_id = run_debate(debate_server, [member("Ada", "mock-1"), member("Ben", "mock-1")], max_rounds=3)
    before = ledger_calls(debate_server, debate_id)
    made = post(debate_server, "summarize_debate", {"debate_id": debate_id})
    assert made.status_code == 200, made.text
    summary = made.json()
    assert summary["calls"] == 1 and summary["message_count"] == 6
    assert [(s["participant"], s["source"]) for s in summary["sides"]] == [("Ada", "llm"), ("Ben", "llm")]
    assert summary["narrative"] == "Ada, Ben stated their positions in turn."
    stored = turns(debate_server, debate_id)
    for side, latest in zip(summary["sides"], stored[-2:], strict=True):  # positions from the latest turns
        assert latest["content"].startswith(side["text"])
    after = ledger_calls(debate_server, debate_id)
    assert after["summaries"] == before["summaries"] + 1 and after["total"] == before["total"] + 1


def test_an_unreadable_summary_is_re_asked_once_then_taken_from_the_speakers_own_words(
    debate_server: ServiceProcess,
) -> None:
    debate_id = run_debate(debate_server, [member("Ada", "mock-1"), member("Ben", "mock-1")])
    args = {"debate_id": debate_id, "provider": "mock", "model": "mock-summary-bad"}
    made = post(debate_server, "summarize_debate", args)
    assert made.status_code == 200, made.text
    summary = made.json()
    assert summary["calls"] == 2  # asked, re-asked, then the fallback
    assert [s["source"] for s in summary["sides"]] == ["extract", "extract"]
    assert summary["narrative"] == "Messages #1–#4: 4 messages, by Ada, Ben."
    assert ledger_calls(debate_server, debate_id)["summaries"] == 2


def test_at_a_small_budget_the_newest_turns_stay_verbatim_and_summaries_keep_to_their_allowance(
    debate_server: ServiceProcess,
) -> None:
    small = {"max_tokens": 1200, "max_output_tokens": 200}
    people = [
        member("Ada", "mock-1", **small),
        member("Ben", "mock-1", **small),
        member("Cy", "mock-1", **small),
    ]
    debate_id = run_debate(debate_server, people, max_rounds=6, rules=["At most 60 words per turn."])
    context = httpx.get(f"{debate_server.url}/debates/{debate_id}/context", timeout=10).json()
    stored = turns(debate_server, debate_id)
    for view in context["participants"]:
        summary, last = view["summary"], view["last_turn"]
        assert summary is not None, view  # 18 turns do not fit 1,200 tokens
        assert summary["calls"] >= 1
        sent = last["messages"]
        texts = "\n".join(m["content"] for m in sent)
        before_its_turn = [m for m in stored if m["turn"] < last["turn"]]
        for other in before_its_turn[-2:]:  # the n-1 turns just before, verbatim
            assert other["content"] in texts
        assert last["tokens"] <= last["budget"]
    summaries = post(debate_server, "summarize_debate", {"debate_id": debate_id, "max_tokens": 128}).json()
    assert len(summaries["content"]) / 4 <= 128 * 1.05  # the rendered summary keeps to its allowance


def test_a_turn_arguing_against_its_stance_is_retried_once_and_the_check_is_stored(
    debate_server: ServiceProcess,
) -> None:
    people = [member("Ada", "mock-drift"), member("Ben", "mock-1")]
    debate_id = run_debate(debate_server, people, max_rounds=1, stance_check=True)
    ada, ben = turns(debate_server, debate_id)
    assert ada["stance_check"]["consistent"] is True and ada["stance_check"]["retried"] is True
    assert "against my stance" not in ada["content"]
    assert ada["calls"] == 4  # the turn, its check, the retry, its check
    assert ben["stance_check"] == {
        "consistent": True,
        "reason": "the turn argues its stance.",
        "retried": False,
        "checker": "mock/mock-1",
    }
    assert ben["calls"] == 2
    ledger = httpx.get(f"{debate_server.url}/debates/{debate_id}", timeout=10).json()["ledger"]
    assert ledger["total"]["calls"] == 6

    unchecked = run_debate(debate_server, people, max_rounds=1)
    first = turns(debate_server, unchecked)[0]
    assert first["stance_check"] is None and "against my stance" in first["content"] and first["calls"] == 1

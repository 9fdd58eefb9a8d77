"""Every protocol end to end on real mcp-debate and mcp-llm processes, with the mock models that answer.

``mock-answer-<x>`` always ends with ``Final answer: <x>``; ``mock-judge`` returns verdict JSON naming
the majority of the answers it is shown (or a moderator's decision); ``mock-judge-bad-<n>`` does so only
after ``n`` unreadable replies.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ServiceProcess
from tests.debate.conftest import post

QUESTION = "What is 3+4?"


def member(name: str, model: str, role: str = "debater", **config: Any) -> dict[str, Any]:
    return {"name": name, "role": role, "llm_config": {"provider": "mock", "model": model, **config}}


def answering(*answers: str, **config: Any) -> list[dict[str, Any]]:
    """Debaters A, B, C... answering as given."""
    return [member(chr(ord("A") + i), f"mock-answer-{a}", **config) for i, a in enumerate(answers)]


def create(server: ServiceProcess, participants: list[dict[str, Any]], **args: Any) -> dict[str, Any]:
    body = {"name": "Sum", "topic": QUESTION, "participants": participants, "max_rounds": 2, **args}
    response = post(server, "create_debate", body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def run(server: ServiceProcess, debate_id: str) -> dict[str, Any]:
    response = post(server, "run_debate", {"debate_id": debate_id}, timeout=120)
    assert response.status_code == 200, response.text
    return dict(response.json())


def view(server: ServiceProcess, debate_id: str) -> dict[str, Any]:
    return dict(httpx.get(f"{server.url}/debates/{debate_id}", timeout=10).json())


def messages(server: ServiceProcess, debate_id: str) -> list[dict[str, Any]]:
    return list(httpx.get(f"{server.url}/debates/{debate_id}/messages", timeout=10).json()["messages"])


def next_context(server: ServiceProcess, debate_id: str) -> dict[str, Any]:
    return dict(httpx.get(f"{server.url}/debates/{debate_id}/context", timeout=10).json()["next_turn"])


def test_vote_majority_with_counts_and_dissent(debate_server: ServiceProcess) -> None:
    debate = create(debate_server, answering("7", "7", "9"), protocol="vote")
    assert debate["visibility"] == "independent_first" and debate["total_turns"] == 6
    result = run(debate_server, debate["id"])
    assert result["stopped"] == "completed" and result["state"] == "completed"

    done = view(debate_server, debate["id"])
    verdict = done["verdict"]
    assert verdict["answer"] == "7" and verdict["method"] == "majority"
    assert verdict["votes"] == {"7": 2, "9": 1}
    assert verdict["confidence"] == pytest.approx(2 / 3, abs=1e-3)
    assert [(d["participant"], d["answer"]) for d in verdict["dissent"]] == [("C", "9")]
    assert verdict["dissent"][0]["reason"] and "Final answer" not in verdict["dissent"][0]["reason"]
    assert [(b["participant"], b["answer"], b["round"]) for b in verdict["ballots"]] == [
        ("A", "7", 2),
        ("B", "7", 2),
        ("C", "9", 2),
    ]
    assert done["stopped_reason"] == "completed" and done["turns_taken"] == 6
    turns = messages(debate_server, debate["id"])
    assert [(m["speaker"], m["round"], m["answer"]) for m in turns] == [
        ("A", 1, "7"),
        ("B", 1, "7"),
        ("C", 1, "9"),
        ("A", 2, "7"),
        ("B", 2, "7"),
        ("C", 2, "9"),
    ]
    assert all(m["content"].rstrip().endswith(f"Final answer: {m['answer']}") for m in turns)


def test_round_one_is_answered_alone_then_everyone_is_seen(debate_server: ServiceProcess) -> None:
    debate_id = create(debate_server, answering("7", "7", "9"), protocol="vote")["id"]
    first = post(debate_server, "get_next_turn", {"debate_id": debate_id}).json()["message"]
    post(debate_server, "get_next_turn", {"debate_id": debate_id})
    blind = next_context(debate_server, debate_id)
    assert blind["participant"] == "C"
    sent = "\n".join(m["content"] for m in blind["messages"])
    assert first["content"] not in sent and "A:" not in sent  # C does not see A's (or B's) round-1 turn
    post(debate_server, "get_next_turn", {"debate_id": debate_id})
    later = next_context(debate_server, debate_id)
    assert later["participant"] == "A"
    seen = "\n".join(m["content"] for m in later["messages"])
    assert "C: " in seen and "Final answer: 9" in seen and "answer the question again" in seen


def test_answers_only_shows_final_answers_never_reasoning(debate_server: ServiceProcess) -> None:
    debate_id = create(debate_server, answering("7", "9"), protocol="vote", visibility="answers_only")["id"]
    opening = post(debate_server, "get_next_turn", {"debate_id": debate_id}).json()["message"]
    post(debate_server, "get_next_turn", {"debate_id": debate_id})
    context = next_context(debate_server, debate_id)
    assert context["participant"] == "A"
    sent = "\n".join(m["content"] for m in context["messages"])
    assert "B: Final answer: 9" in sent
    reasoning = opening["content"].split("\nFinal answer")[0]
    assert reasoning in sent  # A's own turn, verbatim
    others = messages(debate_server, debate_id)[1]["content"].split("\nFinal answer")[0]
    assert others not in sent


def test_stop_on_consensus_after_round_one(debate_server: ServiceProcess) -> None:
    debate = create(
        debate_server, answering("7", "7", "7"), protocol="vote", max_rounds=3, stop_on_consensus=True
    )
    assert debate["total_turns"] == 9
    result = run(debate_server, debate["id"])
    assert result["stopped"] == "completed" and len(result["messages"]) == 3
    done = view(debate_server, debate["id"])
    assert done["state"] == "completed" and done["stopped_reason"] == "consensus"
    assert done["turns_taken"] == 3 and done["total_turns"] == 3
    assert done["verdict"]["method"] == "unanimous" and done["verdict"]["answer"] == "7"
    assert done["verdict"]["confidence"] == 1.0 and done["verdict"]["dissent"] == []


def test_no_consensus_without_agreement_runs_every_round(debate_server: ServiceProcess) -> None:
    debate_id = create(
        debate_server, answering("7", "7", "9"), protocol="vote", max_rounds=3, stop_on_consensus=True
    )["id"]
    run(debate_server, debate_id)
    done = view(debate_server, debate_id)
    assert done["turns_taken"] == 9 and done["stopped_reason"] == "completed"


def test_a_judge_whose_first_reply_is_not_json_is_asked_again(debate_server: ServiceProcess) -> None:
    debate = create(
        debate_server,
        [*answering("7", "9", "9"), member("J", "mock-judge-bad-1", "judge")],
        protocol="judged",
    )
    assert debate["total_turns"] == 7
    run(debate_server, debate["id"])
    done = view(debate_server, debate["id"])
    verdict = done["verdict"]
    assert verdict["method"] == "judge" and verdict["judge"] == "J" and verdict["note"] is None
    assert verdict["answer"] == "9" and verdict["winner"] == "B"
    assert verdict["votes"] == {"9": 2, "7": 1}
    assert [d["participant"] for d in verdict["dissent"]] == ["A"]
    judge_turn = messages(debate_server, debate["id"])[-1]
    assert judge_turn["speaker"] == "J" and judge_turn["calls"] == 2
    assert judge_turn["structured"]["answer"] == "9"
    line = next(x for x in done["ledger"]["participants"] if x["name"] == "J")
    assert (line["turns"], line["calls"]) == (1, 2)
    assert done["ledger"]["total"]["calls"] == 8


def test_a_judge_never_readable_leaves_the_verdict_to_the_vote(debate_server: ServiceProcess) -> None:
    debate_id = create(
        debate_server,
        [*answering("7", "7", "9"), member("J", "mock-judge-bad-9", "judge")],
        protocol="judged",
    )["id"]
    run(debate_server, debate_id)
    verdict = view(debate_server, debate_id)["verdict"]
    assert verdict["method"] == "majority" and verdict["answer"] == "7" and verdict["judge"] == "J"
    assert "could not be read" in verdict["note"] and "no JSON object" in verdict["note"]
    judge_turn = messages(debate_server, debate_id)[-1]
    assert judge_turn["calls"] == 2 and judge_turn["structured"] is None


def test_a_vote_tie_is_broken_by_the_judge(debate_server: ServiceProcess) -> None:
    debate_id = create(
        debate_server, [*answering("7", "9"), member("J", "mock-judge", "judge")], protocol="vote"
    )["id"]
    run(debate_server, debate_id)
    done = view(debate_server, debate_id)
    assert done["turns_taken"] == 5 and [m["speaker"] for m in messages(debate_server, debate_id)][-1] == "J"
    verdict = done["verdict"]
    assert verdict["method"] == "judge" and verdict["answer"] == "7" and verdict["votes"] == {"7": 1, "9": 1}


def test_a_vote_tie_without_a_judge_is_stated_as_a_tie(debate_server: ServiceProcess) -> None:
    debate_id = create(debate_server, answering("7", "9"), protocol="vote")["id"]
    run(debate_server, debate_id)
    verdict = view(debate_server, debate_id)["verdict"]
    assert verdict["method"] == "tie" and verdict["answer"] is None and verdict["tied"] == ["7", "9"]
    assert "tied" in verdict["rationale"]


def test_judged_moderator_stops_when_the_debaters_agree(debate_server: ServiceProcess) -> None:
    debate = create(
        debate_server,
        [*answering("7", "7"), member("M", "mock-judge", "moderator"), member("J", "mock-judge", "judge")],
        protocol="judged",
        max_rounds=3,
    )
    assert debate["total_turns"] == 3 * 2 + 2 + 1
    run(debate_server, debate["id"])
    done = view(debate_server, debate["id"])
    assert done["stopped_reason"] == "moderator" and done["state"] == "completed"
    steps = messages(debate_server, debate["id"])
    assert [m["speaker"] for m in steps] == ["A", "B", "M", "J"]
    assert steps[2]["structured"]["decision"] == "stop"
    assert done["verdict"]["method"] == "judge" and done["verdict"]["answer"] == "7"


def test_judged_moderator_lets_a_disagreement_run_to_the_round_cap(debate_server: ServiceProcess) -> None:
    debate_id = create(
        debate_server,
        [*answering("7", "9"), member("M", "mock-judge", "moderator"), member("J", "mock-judge", "judge")],
        protocol="judged",
        max_rounds=3,
    )["id"]
    run(debate_server, debate_id)
    done = view(debate_server, debate_id)
    steps = messages(debate_server, debate_id)
    assert [m["speaker"] for m in steps] == ["A", "B", "M", "A", "B", "M", "A", "B", "J"]
    assert [m["structured"]["decision"] for m in steps if m["speaker"] == "M"] == ["continue", "continue"]
    # A moderator's decision reaches the debaters as a line, not as its JSON.
    assert done["stopped_reason"] == "completed" and done["verdict"]["method"] == "judge"


def test_a_budget_that_allows_four_calls_stops_at_four(
    debate_server: ServiceProcess, debate_db_dir: Path
) -> None:
    """The budget is computed from an identical debate run without one (the mock is deterministic): what
    its first four calls spent, plus the reservation of its fifth call (its counted prompt and its reply
    cap), less one token."""
    reference = create(debate_server, answering("7", "7", "9"), protocol="vote")["id"]
    run(debate_server, reference)
    spent = [m["input_tokens"] + m["output_tokens"] for m in messages(debate_server, reference)]
    with sqlite3.connect(debate_db_dir / "shared.db") as conn:
        (prompt_5,) = conn.execute(
            "SELECT tokens FROM context_snapshots WHERE debate_id = ? AND turn = 5", (reference,)
        ).fetchone()
    budget = sum(spent[:4]) + prompt_5 + 1024 - 1

    debate_id = create(debate_server, answering("7", "7", "9"), protocol="vote", budget_tokens=budget)["id"]
    result = run(debate_server, debate_id)
    assert result["stopped"] == "completed" and len(result["messages"]) == 4
    done = view(debate_server, debate_id)
    assert done["state"] == "completed" and done["stopped_reason"] == "budget_exhausted"
    assert done["turns_taken"] == 4 and done["ledger"]["total"]["calls"] == 4
    assert done["ledger"]["total"]["total_tokens"] == sum(spent[:4]) <= budget
    verdict = done["verdict"]
    assert verdict["answer"] == "7" and verdict["votes"] == {"7": 2, "9": 1}
    assert "budget" in verdict["note"]


def test_a_judge_still_gives_the_verdict_when_the_budget_runs_out(debate_server: ServiceProcess) -> None:
    config = {"max_output_tokens": 200}
    people = [*answering("7", "9", **config), member("J", "mock-judge", "judge", **config)]
    reference = create(debate_server, people, protocol="judged", max_rounds=3)["id"]
    run(debate_server, reference)
    full = view(debate_server, reference)["ledger"]["total"]["total_tokens"]

    budget = int(full * 0.7)
    debate_id = create(debate_server, people, protocol="judged", max_rounds=3, budget_tokens=budget)["id"]
    run(debate_server, debate_id)
    done = view(debate_server, debate_id)
    assert done["stopped_reason"] == "budget_exhausted" and done["state"] == "completed"
    assert done["turns_taken"] < 7 and messages(debate_server, debate_id)[-1]["speaker"] == "J"
    assert done["verdict"]["method"] == "judge"
    assert done["ledger"]["total"]["total_tokens"] <= budget


def test_get_next_turn_steps_through_a_judged_debate(debate_server: ServiceProcess) -> None:
    debate = create(
        debate_server,
        [*answering("7", "9"), member("J", "mock-judge", "judge")],
        protocol="judged",
        max_rounds=1,
    )
    assert debate["next_speaker"] == "A" and debate["next_step_kind"] == "turn"
    post(debate_server, "get_next_turn", {"debate_id": debate["id"]})
    second = post(debate_server, "get_next_turn", {"debate_id": debate["id"]}).json()
    assert second["next_speaker"] == "J" and second["verdict"] is None
    assert view(debate_server, debate["id"])["next_step_kind"] == "verdict"
    last = post(debate_server, "get_next_turn", {"debate_id": debate["id"]}).json()
    assert last["message"]["speaker"] == "J" and last["state"] == "completed"
    assert last["verdict"]["method"] == "judge" and last["stopped_reason"] == "completed"
    assert last["next_speaker"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"protocol": "judged"}, "protocol"),
        (
            {
                "participants": [
                    *answering("7", "9"),
                    member("J", "mock-judge", "judge"),
                    member("K", "mock-judge", "judge"),
                ]
            },
            "participants[3].role",
        ),
        ({"participants": [*answering("7"), member("J", "mock-judge", "judge")]}, "participants"),
        ({"answer_pattern": "(a)(b)"}, "answer_pattern"),
        ({"answer_pattern": "(unclosed"}, "answer_pattern"),
        ({"answer_choices": ["yes", "YES"]}, "answer_choices"),
        ({"budget_usd": -1}, "budget_usd"),
        ({"budget_tokens": 0}, "budget_tokens"),
        ({"protocol": "poll"}, "protocol"),
        ({"visibility": "some"}, "visibility"),
    ],
)
def test_bad_protocol_arguments_name_their_field(
    debate_server: ServiceProcess, change: dict[str, Any], field: str
) -> None:
    body = {"name": "Sum", "topic": QUESTION, "participants": answering("7", "9"), **change}
    response = post(debate_server, "create_debate", body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request" and error["field"] == field, error
    assert httpx.get(f"{debate_server.url}/debates", timeout=10).status_code == 200


def test_answer_choices_and_pattern(debate_server: ServiceProcess) -> None:
    chosen = create(
        debate_server,
        answering("yes", "No", "maybe"),
        protocol="vote",
        answer_choices=["yes", "no"],
        max_rounds=1,
    )["id"]
    run(debate_server, chosen)
    verdict = view(debate_server, chosen)["verdict"]
    assert verdict["method"] == "tie" and verdict["votes"] == {"yes": 1, "no": 1}
    assert [b["answer"] for b in verdict["ballots"]] == ["yes", "no", None]

    patterned = create(
        debate_server,
        answering("x@12", "x@12.0"),
        protocol="vote",
        answer_pattern=r"answer: x@(\S+)",
        max_rounds=1,
    )["id"]
    run(debate_server, patterned)
    verdict = view(debate_server, patterned)["verdict"]
    assert verdict["method"] == "unanimous" and verdict["answer"] == "12"


@pytest.mark.parametrize(
    ("fmt", "marker"), [("markdown", "## Verdict"), ("html", "<h2>Verdict</h2>"), ("text", "Verdict:")]
)
def test_every_export_opens_with_the_verdict(debate_server: ServiceProcess, fmt: str, marker: str) -> None:
    debate_id = create(debate_server, answering("7", "7", "9"), protocol="vote")["id"]
    run(debate_server, debate_id)
    content = httpx.get(f"{debate_server.url}/debates/{debate_id}/export", params={"format": fmt}).text
    assert marker in content
    start = content.index(marker)
    assert start < content.index("Participants") and start < content.index("Round 1")
    section = content[start : content.index("Participants")]
    assert "7 (majority vote, confidence 0.67)" in section and "7: 2, 9: 1" in section
    assert "Dissent: C" in section


def test_json_export_and_summary_carry_the_verdict(debate_server: ServiceProcess) -> None:
    debate_id = create(debate_server, answering("7", "7", "9"), protocol="vote")["id"]
    run(debate_server, debate_id)
    exported = httpx.get(f"{debate_server.url}/debates/{debate_id}/export", params={"format": "json"}).json()
    assert list(exported)[:3] == ["schema_version", "exported_at", "verdict"]
    assert exported["verdict"]["answer"] == "7" and exported["debate"]["verdict"] == exported["verdict"]
    summary = post(debate_server, "summarize_debate", {"debate_id": debate_id}).json()
    assert summary["verdict"]["answer"] == "7" and summary["sides"]


def test_a_plain_debate_has_no_verdict(debate_server: ServiceProcess) -> None:
    debate_id = create(debate_server, [member("A", "mock-1"), member("B", "mock-1")])["id"]
    run(debate_server, debate_id)
    done = view(debate_server, debate_id)
    assert done["verdict"] is None and done["stopped_reason"] == "completed" and done["protocol"] == "rounds"
    markdown = httpx.get(f"{debate_server.url}/debates/{debate_id}/export").text
    assert "## Verdict" not in markdown

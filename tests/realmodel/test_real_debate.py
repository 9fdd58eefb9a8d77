"""A small ``vote`` debate on the real model: two debaters, two rounds, through mcp-debate and mcp-llm.

A 135M model rarely gets the sum right and does not always state a final answer; what is asserted is
that the debate runs to its end and its verdict is well formed: every ballot accounted for, votes that
add up, a method consistent with the answers read, dissent only from the debaters who disagree. The
transcript and the verdict are written to the test log folder for reading.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import LOG_DIR, ServiceProcess
from tests.debate.conftest import debate_process, post
from tests.realmodel.conftest import MODEL, SLOT_CONTEXT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

QUESTION = "What is 2+3?"


@pytest.fixture(scope="module")
def real_debate(
    real_llm: ServiceProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    folder: Path = tmp_path_factory.mktemp("real-debate")
    proc = debate_process(real_llm.url, folder / "d.db", name="mcp-debate-real").start(timeout=120)
    yield proc
    proc.stop()


def debater(name: str) -> dict[str, object]:
    return {
        "name": name,
        "llm_config": {
            "provider": "openai_compatible",
            "model": MODEL,
            "temperature": 0.2,
            "max_tokens": SLOT_CONTEXT,
            "max_output_tokens": 160,
        },
    }


def test_a_vote_on_the_real_model_ends_in_a_well_formed_verdict(real_debate: ServiceProcess) -> None:
    body = {
        "name": "Sum",
        "topic": QUESTION,
        "participants": [debater("Ada"), debater("Ben")],
        "protocol": "vote",
        "max_rounds": 2,
    }
    created = post(real_debate, "create_debate", body)
    assert created.status_code == 200, created.text
    debate_id = created.json()["id"]
    run = post(real_debate, "run_debate", {"debate_id": debate_id}, timeout=600)
    assert run.status_code == 200, run.text
    view = httpx.get(f"{real_debate.url}/debates/{debate_id}", timeout=10).json()
    turns = httpx.get(f"{real_debate.url}/debates/{debate_id}/messages", timeout=10).json()["messages"]
    transcript = "\n\n".join(
        f"[round {m['round']}] {m['speaker']} (answer read: {m['answer']!r}, finish {m['finish_reason']}):\n"
        f"{m['content']}"
        for m in turns
    )
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    (LOG_DIR / "real-vote-debate.txt").write_text(
        f"{transcript}\n\nverdict:\n{json.dumps(view['verdict'], indent=2)}\n"
    )
    print(f"\n{transcript}\n\nverdict: {json.dumps(view['verdict'], indent=2)}")

    assert view["state"] == "completed" and view["stopped_reason"] == "completed"
    assert [m["speaker"] for m in turns] == ["Ada", "Ben", "Ada", "Ben"]
    verdict = view["verdict"]
    assert verdict is not None and verdict["rationale"]
    ballots = {b["participant"]: b["answer"] for b in verdict["ballots"]}
    assert set(ballots) == {"Ada", "Ben"}
    latest = {m["speaker"]: m["answer"] for m in turns if m["answer"] is not None}
    assert ballots == {name: latest.get(name) for name in ("Ada", "Ben")}
    answered = [a for a in ballots.values() if a is not None]
    assert sum(verdict["votes"].values()) == len(answered)
    if not answered:
        assert verdict["method"] == "none" and verdict["answer"] is None
    elif len(verdict["votes"]) == 1:
        assert verdict["answer"] in verdict["votes"]
        assert verdict["method"] == ("unanimous" if len(answered) == 2 else "majority")
    else:
        assert verdict["method"] == "tie" and sorted(verdict["tied"]) == sorted(verdict["votes"])
    assert all(d["participant"] in ballots for d in verdict["dissent"])


def test_the_default_budget_fits_the_window_llama_server_serves(real_debate: ServiceProcess) -> None:
    """llama-server reports each slot's window (``meta.n_ctx``); mcp-llm lists it and mcp-debate's default
    per-participant budget shrinks to it instead of planning 10,000 tokens for a 2,048-token slot."""
    plain = {"name": "Ada", "llm_config": {"provider": "openai_compatible", "model": MODEL}}
    body = {"name": "Window", "topic": QUESTION, "participants": [plain, {**plain, "name": "Ben"}]}
    created = post(real_debate, "create_debate", body)
    assert created.status_code == 200, created.text
    for p in created.json()["participants"]:
        assert p["context_window"] == SLOT_CONTEXT and p["max_tokens"] == SLOT_CONTEXT


def test_a_judged_debate_with_stances_holds_up_on_the_real_model(real_debate: ServiceProcess) -> None:
    """Stances, a judge, a word rule, a small budget (summaries) and the stance check on SmolLM2.

    Asserted: what the orchestration owns. No stored turn carries a copied instruction or a line written
    for another speaker; a turn cut at its cap is marked; every turn with a stance was checked; the
    debate ends with a verdict (the judge's, or the stated fallback). The transcript goes to the log.
    """

    def speaker(name: str, stance: str | None, role: str = "debater") -> dict[str, object]:
        config = {"provider": "openai_compatible", "model": MODEL, "temperature": 0.3}
        config |= {"max_tokens": 1200, "max_output_tokens": 200}
        return {"name": name, "stance": stance, "role": role, "llm_config": config}

    body = {
        "name": "Homework",
        "topic": "Should schools give homework every day?",
        "participants": [
            speaker("Ada", "for daily homework"),
            speaker("Ben", "against daily homework"),
            speaker("Judge", None, "judge"),
        ],
        "max_rounds": 3,
        "rules": ["At most 60 words per turn."],
        "stance_check": True,
    }
    created = post(real_debate, "create_debate", body)
    assert created.status_code == 200, created.text
    debate_id = created.json()["id"]
    run = post(real_debate, "run_debate", {"debate_id": debate_id}, timeout=900)
    assert run.status_code == 200, run.text
    view = httpx.get(f"{real_debate.url}/debates/{debate_id}", timeout=10).json()
    turns = httpx.get(f"{real_debate.url}/debates/{debate_id}/messages", timeout=10).json()["messages"]
    markdown = httpx.get(f"{real_debate.url}/debates/{debate_id}/export?format=markdown", timeout=10).text
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    (LOG_DIR / "real-judged-debate.md").write_text(markdown)
    checks = "\n".join(f"{m['speaker']} turn {m['turn']}: {m['stance_check']}" for m in turns)
    print(f"\n{markdown}\n\nstance checks:\n{checks}")

    assert view["state"] == "completed" and view["verdict"] is not None
    debaters = [m for m in turns if m["speaker"] in ("Ada", "Ben")]
    assert [m["speaker"] for m in debaters] == ["Ada", "Ben"] * 3
    for m in debaters:
        lines = m["content"].splitlines()
        assert not any(line.startswith(("[Instruction]", "Ada:", "Ben:", "Judge:")) for line in lines)
        assert not any(re.match(r"Round \d+ of \d+", line) for line in lines)  # the copied instruction head
        assert m["stance_check"] is not None and m["calls"] >= 2
    assert markdown.count("cut off at the reply cap") == sum(m["finish_reason"] == "length" for m in turns)

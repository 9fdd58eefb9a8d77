"""``deliberate``: a question in, a verdict out, in one call, over MCP and plain HTTP, on real processes;
and a vote debate killed mid-run that resumes to the same verdict."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from tests.conftest import ServiceProcess, llm_process, wait_until
from tests.debate.conftest import call, debate_process, post

SUM = "What is 3+4?"
PANEL = [
    {"provider": "mock", "model": "mock-answer-7"},
    {"provider": "mock", "model": "mock-answer-7"},
    {"provider": "mock", "model": "mock-answer-9"},
]


def debate_view(server: ServiceProcess, debate_id: str) -> dict[str, Any]:
    return dict(httpx.get(f"{server.url}/debates/{debate_id}", timeout=10).json())


@pytest.fixture(scope="module")
def slow_llm() -> Iterator[ServiceProcess]:
    """mcp-llm whose mock takes 300 ms per call: slow enough to kill a debate in the middle."""
    proc = llm_process(MOCK_LATENCY_MS="300").start()
    yield proc
    proc.stop()


async def test_deliberate_over_mcp_waits_for_the_verdict(debate_server: ServiceProcess) -> None:
    progress: list[str] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    async with Client(debate_server.mcp_url) as client:
        result = await call(
            client, "deliberate", {"question": SUM, "panel": PANEL}, progress_callback=on_progress
        )
        stored = await call(client, "get_debate", {"debate_id": result["debate_id"]})
    assert result["state"] == "completed" and not result["running"]
    assert result["answer"] == "7" and result["votes"] == {"7": 2, "9": 1}
    assert result["verdict"]["method"] == "majority" and result["protocol"] == "vote"
    assert [(d["participant"], d["answer"]) for d in result["dissent"]] == [("mock-answer-9", "9")]
    assert result["calls"] == 6 and result["tokens"] > 0 and result["cost_usd"] == 0.0
    assert result["panel"][:2] == [
        "mock-answer-7 (mock/mock-answer-7), debater",
        "mock-answer-7 #2 (mock/mock-answer-7), debater",
    ]
    assert progress == [
        f"Round {r} · {name} answered {a}"
        for r in (1, 2)
        for name, a in (("mock-answer-7", "7"), ("mock-answer-7 #2", "7"), ("mock-answer-9", "9"))
    ]
    assert stored["verdict"] == result["verdict"] and stored["topic"] == SUM


async def test_deliberate_stops_on_consensus_by_default(debate_server: ServiceProcess) -> None:
    panel = [{"provider": "mock", "model": "mock-answer-7"}] * 3
    async with Client(debate_server.mcp_url) as client:
        result = await call(client, "deliberate", {"question": SUM, "panel": panel, "rounds": 3})
    assert result["stopped_reason"] == "consensus" and result["calls"] == 3
    assert result["verdict"]["method"] == "unanimous" and result["dissent"] == []


async def test_deliberate_without_waiting_returns_the_debate_to_read_later(
    debate_server: ServiceProcess,
) -> None:
    async with Client(debate_server.mcp_url) as client:
        started = await call(client, "deliberate", {"question": SUM, "panel": PANEL, "wait": False})
        assert started["running"] and started["verdict"] is None and started["answer"] is None
        debate_id = started["debate_id"]
    wait_until(
        lambda: debate_view(debate_server, debate_id)["state"] == "completed", timeout=30, what="the verdict"
    )
    assert debate_view(debate_server, debate_id)["verdict"]["answer"] == "7"


def test_deliberate_over_http_with_a_judge(debate_server: ServiceProcess) -> None:
    body = {
        "question": SUM,
        "panel": [
            {
                "name": "Seven",
                "stance": "answers 7",
                "llm_config": {"provider": "mock", "model": "mock-answer-7"},
            },
            {"provider": "mock", "model": "mock-answer-9"},
        ],
        "protocol": "judged",
        "judge": {"provider": "mock", "model": "mock-judge"},
        "rounds": 1,
    }
    response = post(debate_server, "deliberate", body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["verdict"]["method"] == "judge" and result["verdict"]["judge"] == "Judge"
    assert result["answer"] == "7" and result["verdict"]["winner"] == "Seven"
    assert result["panel"][-1] == "Judge (mock/mock-judge), judge"
    assert result["calls"] == 3


def test_deliberate_defaults_to_a_panel_of_the_configured_providers(debate_server: ServiceProcess) -> None:
    """Only the offline mock is configured here: three mock participants, who give no answer."""
    result = post(
        debate_server, "deliberate", {"question": "Is remote work here to stay?", "rounds": 1}
    ).json()
    assert result["panel"] == [
        "mock-1 (mock/mock-1), debater",
        "mock-1 #2 (mock/mock-1), debater",
        "mock-1 #3 (mock/mock-1), debater",
    ]
    assert result["verdict"]["method"] == "none" and "No debater" in result["verdict"]["rationale"]


def test_deliberate_refuses_bad_input_by_field(debate_server: ServiceProcess) -> None:
    for body, field in (
        ({"question": ""}, "question"),
        ({"question": SUM, "panel": [{"provider": "mock"}]}, "panel"),
        ({"question": SUM, "panel": [{"provider": "skynet"}, {"provider": "mock"}]}, "panel[0].provider"),
        ({"question": SUM, "rounds": 0}, "rounds"),
    ):
        response = post(debate_server, "deliberate", body)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"] == field


def test_deliberate_returns_the_id_when_the_debate_outlasts_its_wait(
    slow_llm: ServiceProcess, tmp_path: Path
) -> None:
    debate = debate_process(slow_llm.url, tmp_path / "d.db", DELIBERATE_MAX_WAIT="1").start()
    try:
        response = post(debate, "deliberate", {"question": SUM, "panel": PANEL, "rounds": 2})
        result = response.json()
        assert response.status_code == 200 and result["running"] and result["verdict"] is None
        assert result["state"] == "running"
        wait_until(lambda: debate_view(debate, result["debate_id"])["state"] == "completed", timeout=30)
        assert debate_view(debate, result["debate_id"])["verdict"]["answer"] == "7"
    finally:
        debate.stop()


def turns_in(database: Path, debate_id: str) -> list[tuple[int, str, str | None]]:
    with sqlite3.connect(database) as conn:
        return list(
            conn.execute(
                "SELECT turn, speaker, answer FROM messages WHERE debate_id = ? ORDER BY seq", (debate_id,)
            )
        )


def test_sigkill_during_a_vote_then_resume_gives_the_same_verdict(
    slow_llm: ServiceProcess, tmp_path: Path
) -> None:
    database = tmp_path / "crash.db"
    args = {"name": "Sum", "topic": SUM, "protocol": "vote", "max_rounds": 3}
    args["participants"] = [
        # above CACHE_MAX_TEMPERATURE: every call reaches the (slow) mock, none is a cache hit
        {"name": n, "llm_config": {"provider": "mock", "model": f"mock-answer-{a}", "temperature": 0.9}}
        for n, a in (("A", "7"), ("B", "7"), ("C", "9"))
    ]
    debate = debate_process(slow_llm.url, database).start()
    restarted = None
    try:
        uninterrupted = post(debate, "create_debate", args).json()["id"]
        post(debate, "run_debate", {"debate_id": uninterrupted}, timeout=60)
        expected = debate_view(debate, uninterrupted)["verdict"]

        debate_id = post(debate, "create_debate", args).json()["id"]
        assert post(debate, "run_debate", {"debate_id": debate_id, "wait": False}).json()["running"]
        wait_until(lambda: debate_view(debate, debate_id)["turns_taken"] >= 4, timeout=30, what="four turns")
        debate.kill()  # SIGKILL, most likely while the next turn waits for its answer
        before = turns_in(database, debate_id)
        assert 4 <= len(before) < 9

        restarted = debate_process(slow_llm.url, database, name="mcp-debate-restarted").start()
        wait_until(
            lambda: debate_view(restarted, debate_id)["state"] == "completed", timeout=60, what="the end"
        )
        after = turns_in(database, debate_id)
        assert [t for t, _, _ in after] == list(range(1, 10))  # every turn once, none twice
        assert after[: len(before)] == before
        assert [a for _, _, a in after] == ["7", "7", "9"] * 3
        done = debate_view(restarted, debate_id)
        assert done["verdict"] == expected and done["verdict"]["votes"] == {"7": 2, "9": 1}
        assert done["stopped_reason"] == "completed" and done["ledger"]["total"]["calls"] == 9
    finally:
        debate.stop()
        if restarted is not None:
            restarted.stop()

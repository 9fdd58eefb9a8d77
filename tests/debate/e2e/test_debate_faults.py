"""Faults on real processes: mcp-llm stopping, mcp-debate killed mid-run, concurrent turns, LLM errors."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from tests.conftest import ServiceProcess, llm_process, wait_until
from tests.debate.conftest import call, create, debate_args, debate_process, post, tool_error
from tests.fakes.server import free_port
from tests.metrics import metric

pytestmark = pytest.mark.slow


def turns_in(database: Path, debate_id: str) -> list[tuple[int, int, str]]:
    """(turn, seq, speaker) of every stored turn, read straight from the SQLite file."""
    with sqlite3.connect(database) as conn:
        return list(
            conn.execute(
                "SELECT turn, seq, speaker FROM messages WHERE debate_id = ? AND kind = 'turn' ORDER BY seq",
                (debate_id,),
            )
        )


def debate_view(server: ServiceProcess, debate_id: str) -> dict[str, Any]:
    return dict(httpx.get(f"{server.url}/debates/{debate_id}", timeout=10).json())


def test_mcp_llm_stopped_mid_debate(tmp_path: Path) -> None:
    llm = llm_process(port=free_port())
    debate = debate_process(llm.url, tmp_path / "d.db", LLM_RETRY_ATTEMPTS="2").start()
    try:
        # mcp-debate starts without mcp-llm, says it is not ready, and refuses what needs it
        ready = httpx.get(f"{debate.url}/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json()["checks"]["database"]["status"] == "ok"
        refused = post(debate, "create_debate", debate_args())
        assert refused.status_code == 503 and refused.json()["error"]["type"] == "provider_unavailable"
        assert httpx.get(f"{debate.url}/debates").json()["total"] == 0

        llm.start()
        assert httpx.get(f"{debate.url}/readyz", timeout=10).status_code == 200
        debate_id = create(debate, model="mock-slow-300")["id"]
        assert post(debate, "get_next_turn", {"debate_id": debate_id}).status_code == 200

        llm.stop()
        failed = post(debate, "get_next_turn", {"debate_id": debate_id})
        assert failed.status_code == 503
        error = failed.json()["error"]
        assert error["type"] == "provider_unavailable"
        assert "mcp-llm" in error["message"] and "unreachable" in error["message"]
        assert error["debate_id"] == debate_id and error["participant"] == "Con"
        assert f"debate {debate_id}, participant 'Con' (mock/mock-slow-300)" in error["message"]
        assert [t for t, _, _ in turns_in(tmp_path / "d.db", debate_id)] == [1]  # nothing partial
        view = debate_view(debate, debate_id)
        assert view["state"] == "running" and view["turns_taken"] == 1
        assert view["last_error"]["type"] == "provider_unavailable"
        ready = httpx.get(f"{debate.url}/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json()["checks"]["llm_service"]["status"] == "down"

        llm.start()  # same port: the debate service's client simply reaches it again
        retried = post(debate, "get_next_turn", {"debate_id": debate_id})
        assert retried.status_code == 200, retried.text
        assert retried.json()["message"]["turn"] == 2 and retried.json()["message"]["speaker"] == "Con"
        assert debate_view(debate, debate_id)["last_error"] is None
        assert httpx.get(f"{debate.url}/readyz", timeout=10).status_code == 200

        # an unattended run waits out an mcp-llm restart instead of giving up
        assert post(debate, "run_debate", {"debate_id": debate_id, "wait": False}).json()["running"]
        llm.stop()
        wait_until(lambda: debate_view(debate, debate_id)["last_error"] is not None, what="the run to notice")
        llm.start()
        wait_until(lambda: debate_view(debate, debate_id)["state"] == "completed", timeout=60, what="the end")
        assert [t for t, _, _ in turns_in(tmp_path / "d.db", debate_id)] == [1, 2, 3, 4, 5, 6]
    finally:
        debate.stop()
        llm.stop()


def test_sigkill_during_run_debate_then_restart_resumes_without_loss_or_duplicates(
    llm_mock: ServiceProcess, tmp_path: Path
) -> None:
    database = tmp_path / "crash.db"
    debate = debate_process(llm_mock.url, database).start()
    restarted = None
    try:
        debate_id = create(debate, model="mock-slow-150", max_rounds=4)["id"]
        caller: dict[str, Any] = {}

        def run_to_the_end() -> None:  # a client waiting on run_debate when the service dies
            try:
                caller["response"] = post(debate, "run_debate", {"debate_id": debate_id})
            except httpx.HTTPError as exc:
                caller["error"] = exc

        waiting = threading.Thread(target=run_to_the_end)
        waiting.start()
        wait_until(lambda: debate_view(debate, debate_id)["turns_taken"] >= 3, timeout=30, what="three turns")
        debate.kill()  # SIGKILL, most likely while the next turn waits for its answer
        waiting.join(timeout=30)
        assert "error" in caller, caller  # the call died with the process: no answer, no partial one

        before = turns_in(database, debate_id)
        assert [t for t, _, _ in before] == list(range(1, len(before) + 1))
        with sqlite3.connect(database) as conn:
            state, target = conn.execute(
                "SELECT state, run_target FROM debates WHERE id = ?", (debate_id,)
            ).fetchone()
        assert (state, target) == ("running", 12)  # the run's intention survived the crash

        restarted = debate_process(llm_mock.url, database, name="mcp-debate-restarted").start()
        wait_until(
            lambda: debate_view(restarted, debate_id)["state"] == "completed", timeout=60, what="the end"
        )
        after = turns_in(database, debate_id)
        assert [t for t, _, _ in after] == list(range(1, 13))  # every turn, exactly once, in order
        assert [seq for _, seq, _ in after] == list(range(1, 13))
        assert after[: len(before)] == before
        assert [speaker for _, _, speaker in after] == ["Pro", "Con", "Judge"] * 4
        with sqlite3.connect(database) as conn:
            snapshots = conn.execute(
                "SELECT COUNT(*) FROM context_snapshots WHERE debate_id = ?", (debate_id,)
            ).fetchone()[0]
        assert snapshots == 12
        assert "resumed 1 interrupted run" in restarted.log_text()
    finally:
        debate.stop()
        if restarted is not None:
            restarted.stop()


async def test_two_concurrent_turns_in_one_process_make_one_message(debate_server: ServiceProcess) -> None:
    async with Client(debate_server.mcp_url) as client:
        debate_id = (await call(client, "create_debate", debate_args(model="mock-slow-300")))["id"]
        a, b = await asyncio.gather(
            call(client, "get_next_turn", {"debate_id": debate_id}),
            call(client, "get_next_turn", {"debate_id": debate_id}),
        )
        stored = (await client.read_resource(f"debates://{debate_id}/messages")).contents[0].text
    assert a["message"]["id"] == b["message"]["id"] and a["message"]["turn"] == 1
    assert sorted([a["joined"], b["joined"]]) == [False, True]
    assert len(json.loads(stored)["messages"]) == 1


async def test_two_concurrent_turns_from_two_processes_on_one_database_make_one_message(
    llm_mock: ServiceProcess, tmp_path: Path
) -> None:
    database = tmp_path / "shared.db"
    first = debate_process(llm_mock.url, database, name="mcp-debate-a").start()
    second = debate_process(llm_mock.url, database, name="mcp-debate-b").start()
    try:
        debate_id = create(first, model="mock-slow-300", topic="Two processes, one turn?")["id"]
        async with httpx.AsyncClient(timeout=30) as http:
            replies = await asyncio.gather(
                *(
                    http.post(f"{s.url}/tools/get_next_turn", json={"debate_id": debate_id})
                    for s in (first, second)
                )
            )
        bodies = [r.json() for r in replies]
        assert all(r.status_code == 200 for r in replies), bodies
        assert bodies[0]["message"]["id"] == bodies[1]["message"]["id"]
        assert sorted(b["joined"] for b in bodies) == [False, True]
        assert [t for t, _, _ in turns_in(database, debate_id)] == [1]
        following = post(second, "get_next_turn", {"debate_id": debate_id}).json()
        assert following["message"]["turn"] == 2 and following["message"]["speaker"] == "Con"
    finally:
        first.stop()
        second.stop()


def provider_attempts(llm: ServiceProcess, model: str) -> float:
    """Provider calls mcp-llm made for a model: each call once, plus its retries."""
    calls = metric(llm.url, "llm_requests_total", model=model)
    return calls + metric(llm.url, "llm_retries_total", model=model)


def test_a_failing_provider_is_retried_by_mcp_llm_alone(
    llm_mock: ServiceProcess, debate_server: ServiceProcess
) -> None:
    model = "mock-fail-server-error-1000"  # fails every attempt this test makes; a label of its own
    debate_id = create(debate_server, model=model, topic="Retried where?")["id"]
    debate_retries = metric(debate_server.url, "debate_llm_retries")
    turn = post(debate_server, "get_next_turn", {"debate_id": debate_id})
    assert turn.status_code == 502 and turn.json()["error"]["type"] == "provider_unavailable", turn.text
    # mcp-llm's RETRY_MAX_ATTEMPTS (3), not 3 more for each of mcp-debate's LLM_RETRY_ATTEMPTS (9)
    assert provider_attempts(llm_mock, model) == 3
    assert metric(debate_server.url, "debate_llm_retries") == debate_retries
    assert debate_view(debate_server, debate_id)["state"] == "running"  # a call that waiting may fix


def test_mcp_llm_restarting_is_retried_by_mcp_debate(tmp_path: Path) -> None:
    llm = llm_process(port=free_port()).start()
    debate = debate_process(
        llm.url, tmp_path / "d.db", LLM_RETRY_ATTEMPTS="10", LLM_RETRY_MAX_WAIT="5"
    ).start()
    try:
        debate_id = create(debate, topic="Back in a moment?")["id"]
        llm.stop()
        caller: dict[str, httpx.Response] = {}
        waiting = threading.Thread(
            target=lambda: caller.update(turn=post(debate, "get_next_turn", {"debate_id": debate_id}))
        )
        waiting.start()
        wait_until(lambda: metric(debate.url, "debate_llm_retries") >= 1, what="mcp-debate to retry")
        llm.start()
        waiting.join(timeout=60)
        assert caller["turn"].status_code == 200, caller["turn"].text
        assert caller["turn"].json()["message"]["turn"] == 1
        assert [t for t, _, _ in turns_in(tmp_path / "d.db", debate_id)] == [1]
    finally:
        debate.stop()
        llm.stop()


def test_a_run_that_outlasts_its_retry_window_fails_then_resumes_to_the_end(tmp_path: Path) -> None:
    database = tmp_path / "d.db"
    llm = llm_process(port=free_port()).start()
    debate = debate_process(llm.url, database, RUN_RETRY_WINDOW="1", LLM_RETRY_ATTEMPTS="1").start()
    try:
        debate_id = create(debate, topic="Outage?")["id"]
        assert post(debate, "get_next_turn", {"debate_id": debate_id}).status_code == 200
        llm.stop()
        started = time.monotonic()
        run = post(debate, "run_debate", {"debate_id": debate_id})
        assert time.monotonic() - started < 20
        assert run.status_code == 503 and run.json()["error"]["type"] == "provider_unavailable", run.text

        view = debate_view(debate, debate_id)
        assert (view["state"], view["turns_taken"], view["run_target"]) == ("failed", 1, 6)
        assert view["last_error"]["type"] == "provider_unavailable"
        assert "unreachable" in view["last_error"]["message"] and view["last_error"]["participant"] == "Con"
        assert view["last_error"]["retried_for_s"] >= 1
        assert [t for t, _, _ in turns_in(database, debate_id)] == [1]

        llm.start()
        resumed = post(debate, "resume_debate", {"debate_id": debate_id})
        assert resumed.status_code == 200 and resumed.json()["state"] == "running", resumed.text
        wait_until(lambda: debate_view(debate, debate_id)["state"] == "completed", timeout=60, what="the end")
        after = turns_in(database, debate_id)
        assert [t for t, _, _ in after] == [1, 2, 3, 4, 5, 6]  # none missing, none twice
        assert [speaker for _, _, speaker in after] == ["Pro", "Con", "Judge"] * 2
        assert debate_view(debate, debate_id)["last_error"] is None
    finally:
        debate.stop()
        llm.stop()


def test_an_error_retrying_cannot_fix_fails_the_debate_and_resume_retries_the_same_turn(
    debate_server: ServiceProcess,
) -> None:
    debate_id = create(debate_server, model="mock-fail-not-found-1", topic="Missing models?")["id"]
    failed = post(debate_server, "get_next_turn", {"debate_id": debate_id})
    assert failed.status_code == 404
    error = failed.json()["error"]
    assert error["type"] == "model_not_found" and error["participant"] == "Pro"
    view = debate_view(debate_server, debate_id)
    assert view["state"] == "failed" and view["last_error"]["type"] == "model_not_found"
    refused = post(debate_server, "get_next_turn", {"debate_id": debate_id}).json()["error"]
    assert refused["state"] == "failed" and "resume it to retry" in refused["message"]

    assert post(debate_server, "resume_debate", {"debate_id": debate_id}).json()["state"] == "running"
    turn = post(debate_server, "get_next_turn", {"debate_id": debate_id})  # the mock answers the 2nd attempt
    assert turn.status_code == 200 and turn.json()["message"]["turn"] == 1


async def test_run_debate_reports_an_error_with_what_it_completed(debate_server: ServiceProcess) -> None:
    args = debate_args(topic="Half a run?")
    args["participants"][1]["llm_config"]["model"] = "mock-fail-auth"
    async with Client(debate_server.mcp_url) as client:
        debate_id = (await call(client, "create_debate", args))["id"]
        result = await client.call_tool("run_debate", {"debate_id": debate_id})
        error = tool_error(result)
        assert error["type"] == "authentication" and error["participant"] == "Con"
        view = await call(client, "get_debate", {"debate_id": debate_id})
        assert view["state"] == "failed" and view["turns_taken"] == 1 and view["run_target"] == 6


async def until_running(client: Client, debate_id: str) -> None:
    """Until the turn has started (it moves a created debate to running), well before its answer."""
    for _ in range(100):
        if (await call(client, "get_debate", {"debate_id": debate_id}))["state"] == "running":
            return
        await asyncio.sleep(0.02)
    raise TimeoutError("the turn did not start")


async def test_cancel_abandons_the_turn_in_flight_and_pause_lets_it_land(
    debate_server: ServiceProcess,
) -> None:
    async with Client(debate_server.mcp_url) as client:
        doomed = (
            await call(client, "create_debate", debate_args(model="mock-slow-600", topic="Cancelled?"))
        )["id"]
        turn = asyncio.create_task(client.call_tool("get_next_turn", {"debate_id": doomed}))
        await until_running(client, doomed)
        assert (await call(client, "cancel_debate", {"debate_id": doomed}))["state"] == "cancelled"
        error = tool_error(await turn)
        assert "cancelled while its turn ran" in error["message"]
        assert (await call(client, "get_debate", {"debate_id": doomed}))["message_count"] == 0

        paused = (await call(client, "create_debate", debate_args(model="mock-slow-600", topic="Paused?")))[
            "id"
        ]
        turn = asyncio.create_task(call(client, "get_next_turn", {"debate_id": paused}))
        await until_running(client, paused)
        assert (await call(client, "pause_debate", {"debate_id": paused}))["state"] == "paused"
        landed = await turn
        assert landed["message"]["turn"] == 1 and landed["state"] == "paused"
        view = await call(client, "get_debate", {"debate_id": paused})
        assert view["state"] == "paused" and view["turns_taken"] == 1

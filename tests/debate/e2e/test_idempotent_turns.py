"""A turn resumed after mcp-debate died between mcp-llm's answer and the commit costs no second call.

mcp-debate is SIGKILLed at that exact point by its test-only crash hook (``mcp_debate/faults.py``);
mcp-llm's ``llm_requests_total`` counts the provider calls. The debaters run hot (temperature 1.0,
above the response cache's ceiling), so only the idempotency store can answer the resumed turn.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServiceProcess, llm_process, wait_until
from tests.debate.conftest import create, debate_process, post
from tests.metrics import metric

pytestmark = pytest.mark.slow


def provider_calls(llm: ServiceProcess) -> float:
    return metric(llm.url, "llm_requests_total", provider="mock", model="mock-1")


def stored_turns(database: Path, debate_id: str) -> list[tuple[int, str, str]]:
    with sqlite3.connect(database) as conn:
        return list(
            conn.execute(
                "SELECT turn, speaker, request_id FROM messages WHERE debate_id = ? AND kind = 'turn' "
                "ORDER BY seq",
                (debate_id,),
            )
        )


def test_a_turn_resumed_after_a_crash_before_its_commit_is_answered_from_the_idempotency_store(
    tmp_path: Path,
) -> None:
    database = tmp_path / "crash.db"
    llm = llm_process().start()
    crashing = debate_process(
        llm.url, database, name="mcp-debate-crashing", MCP_DEBATE_CRASH_BEFORE_COMMIT="1"
    ).start()
    restarted = None
    try:
        debate_id = create(crashing, config={"temperature": 1.0})["id"]
        before = provider_calls(llm)
        with pytest.raises(httpx.HTTPError):  # the process dies under the call
            post(crashing, "get_next_turn", {"debate_id": debate_id}, timeout=30)
        assert crashing.process is not None and crashing.process.wait(timeout=10) == -9  # SIGKILL
        assert provider_calls(llm) - before == 1  # the answer was paid for ...
        assert stored_turns(database, debate_id) == []  # ... and never stored

        # A short lease: the dead process's claim on the turn expires quickly.
        restarted = debate_process(
            llm.url, database, name="mcp-debate-restarted", LEASE_DURATION="2", LEASE_HEARTBEAT="0.5"
        ).start()
        resumed = post(restarted, "get_next_turn", {"debate_id": debate_id}, timeout=60)
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["message"]["turn"] == 1
        assert provider_calls(llm) - before == 1  # the resumed turn did not call the provider again
        assert [(t, s) for t, s, _ in stored_turns(database, debate_id)] == [(1, "Pro")]

        # The next turn is a new request: a new key and a provider call of its own.
        assert post(restarted, "get_next_turn", {"debate_id": debate_id}).status_code == 200
        wait_until(lambda: provider_calls(llm) - before == 2, timeout=10, what="a second provider call")
    finally:
        crashing.kill()
        if restarted is not None:
            restarted.stop()
        llm.stop()

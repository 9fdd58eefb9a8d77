"""Two mcp-debate replicas on one real PostgreSQL database, one real mcp-llm (mock provider).

Turn leases make each turn one LLM call whichever replica is asked for it; run leases make a dead
replica's runs finish on the live one, with no resume call. mcp-llm's own metrics count the calls.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import ServiceProcess, debate_process, llm_process, wait_until
from tests.debate.conftest import create, post
from tests.metrics import metric
from tests.postgres import PostgresServer

DEBATES = 6
ROUNDS = 12  # two debaters: 24 turns per debate
LEASE_DURATION = 3.0
LEASE_HEARTBEAT = 1.0


def llm_calls(llm: ServiceProcess) -> float:
    """Completion calls mcp-llm answered for mcp-debate (cached or not): what a paid vendor would bill."""
    return sum(
        metric(llm.url, "mcp_llm_tool_calls_total", tool=tool) for tool in ("complete", "stream_complete")
    )


def stored_turns(url: str) -> list[tuple[str, int]]:
    """Every stored turn, read straight from PostgreSQL."""

    async def read() -> list[tuple[str, int]]:
        conn = await asyncpg.connect(url)
        try:
            found = await conn.fetch("SELECT debate_id, turn FROM messages WHERE kind = 'turn' ORDER BY 1, 2")
        finally:
            await conn.close()
        return [(r[0], r[1]) for r in found]

    return asyncio.run(read())


def replica(llm: ServiceProcess, url: str, tmp_path: Path, name: str) -> ServiceProcess:
    return debate_process(
        llm.url,
        tmp_path / f"{name}.db",  # unused: DATABASE_URL wins
        name=name,
        DATABASE_URL=url,
        LEASE_DURATION=str(LEASE_DURATION),
        LEASE_HEARTBEAT=str(LEASE_HEARTBEAT),
    )


def state_of(server: ServiceProcess, debate_id: str) -> str:
    response = post(server, "get_debate", {"debate_id": debate_id})
    assert response.status_code == 200, response.text
    return str(response.json()["state"])


@pytest.fixture
def cluster(postgres_server: PostgresServer, tmp_path: Path):
    url = postgres_server.create_database()
    llm = llm_process().start(timeout=90)
    replicas = [replica(llm, url, tmp_path, f"mcp-debate-{i}").start(timeout=90) for i in (1, 2)]
    yield llm, replicas, url
    for proc in replicas:
        proc.stop()
    llm.stop()


def test_two_replicas_driving_the_same_debates_pay_once_per_turn(cluster) -> None:
    llm, replicas, url = cluster
    ids = [
        create(
            replicas[0], names=("Pro", "Con"), model="mock-slow-40", max_rounds=ROUNDS, topic=f"Motion {i}"
        )["id"]
        for i in range(DEBATES)
    ]
    with ThreadPoolExecutor(max_workers=len(ids) * len(replicas)) as pool:  # every run asked of both
        replies = list(
            pool.map(
                lambda job: httpx.post(
                    f"{job[0].url}/tools/run_debate", json={"debate_id": job[1]}, timeout=300
                ),
                [(server, debate_id) for debate_id in ids for server in replicas],
            )
        )
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies if r.status_code != 200]
    for debate_id in ids:
        wait_until(lambda d=debate_id: state_of(replicas[1], d) == "completed", timeout=60, what="completion")
    turns = stored_turns(url)
    assert len(turns) == DEBATES * 2 * ROUNDS == 144
    assert sorted(set(turns)) == turns  # no turn twice
    calls = llm_calls(llm)
    print(f"\n{len(turns)} turns stored, {calls:.0f} LLM calls counted by mcp-llm")
    # One call per turn; a lease that expired under a slow machine may cost one more each.
    assert calls == len(turns), f"{calls} calls for {len(turns)} turns"


def test_a_killed_replicas_runs_finish_on_the_other_without_a_resume_call(cluster) -> None:
    llm, replicas, url = cluster
    doomed, survivor = replicas
    ids = [
        create(doomed, names=("Pro", "Con"), model="mock-slow-150", max_rounds=4, topic=f"Crash {i}")["id"]
        for i in range(3)
    ]
    for debate_id in ids:
        assert post(doomed, "run_debate", {"debate_id": debate_id, "wait": False}).json()["running"]
    wait_until(lambda: len(stored_turns(url)) >= 3, timeout=30, what="a few turns")
    doomed.kill()  # SIGKILL: its leases are simply no longer renewed
    killed_at = time.monotonic()
    before = len(stored_turns(url))
    # The survivor takes over once the leases expire: lease duration, one sweep, then one turn.
    bound = LEASE_DURATION + LEASE_HEARTBEAT + 0.15 + 5.0  # 5 s: slack for a loaded machine
    wait_until(lambda: len(stored_turns(url)) > before, timeout=bound, what="a turn after the kill")
    resumed_after = time.monotonic() - killed_at
    for debate_id in ids:
        wait_until(lambda d=debate_id: state_of(survivor, d) == "completed", timeout=60, what="completion")
    turns = stored_turns(url)
    assert turns == sorted((d, t) for d in ids for t in range(1, 9))  # every turn once, none lost
    assert "taking over" in survivor.log_text()
    calls = llm_calls(llm)
    print(
        f"\nfirst turn after the SIGKILL committed {resumed_after:.1f} s later; {calls:.0f} calls, 24 turns"
    )
    # The dead replica's turns in flight (one per debate at most) were paid and lost: run again.
    assert len(turns) <= calls <= len(turns) + len(ids)

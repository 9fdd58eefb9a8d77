"""Freezing an experiment on one replica holds on every replica sharing its Redis, and after a restart."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import RedisServer, ServiceProcess, llm_process

HELLO = [{"role": "user", "content": "Hello."}]


def _variants(proc: ServiceProcess, prefix: str, n: int = 30) -> set[str]:
    with httpx.Client(base_url=proc.url, timeout=30) as http:
        return {
            http.post(
                "/tools/complete",
                json={"experiment": "split", "episode_id": f"{prefix}-{i}", "messages": HELLO},
            ).json()["variant"]
            for i in range(n)
        }


def _freeze(proc: ServiceProcess, variant: str | None) -> httpx.Response:
    body = {"experiment": "split"} if variant is None else {"experiment": "split", "variant": variant}
    with httpx.Client(base_url=proc.url, timeout=30) as http:
        return http.post("/tools/freeze_experiment", json=body)


def _frozen_on(proc: ServiceProcess) -> str | None:
    with httpx.Client(base_url=proc.url, timeout=30) as http:
        report = http.post("/tools/experiment_report", json={"experiment": "split"})
    assert report.status_code == 200, report.text
    frozen: str | None = report.json()["frozen_on"]
    return frozen


def test_a_freeze_on_one_replica_holds_on_the_other_and_survives_a_restart(
    private_redis: RedisServer, experiments_file: Path
) -> None:
    env = {"REDIS_URL": private_redis.url, "EXPERIMENTS_FILE": str(experiments_file)}
    first, second = llm_process(**env).start(), llm_process(**env).start()
    try:
        assert _variants(second, "before") == {"a", "b"}
        reply = _freeze(first, "b")
        assert reply.status_code == 200 and reply.json()["frozen_on"] == "b", reply.text
        assert _frozen_on(second) == "b"
        assert _variants(second, "during") == {"b"}  # the replica that was not asked obeys at once
        second.stop()
        second = llm_process(**env).start()
        assert _variants(second, "restarted") == {"b"}
        assert _freeze(second, None).status_code == 200
        assert _frozen_on(first) is None
        # 30 episodes at 3:1 all on one variant: about 1 in 5000
        assert _variants(first, "after") == {"a", "b"}
    finally:
        first.stop()
        second.stop()

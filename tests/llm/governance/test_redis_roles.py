"""Which Redis holds what, on real redis-server and mcp-llm processes: the response cache on CACHE_REDIS_URL
(a Redis that may evict), quotas, the ledger, circuits and conversations on REDIS_URL (one that must
not); a cache Redis that refuses writes never fails a call; and the state Redis, run with the flags
docker-compose.yml gives it, keeps the ledger and quota counters across a restart."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import redis
import yaml

from tests.conftest import ROOT, RedisServer, ServiceProcess, wait_until
from tests.llm.governance.conftest import unique

pytestmark = pytest.mark.redis

USER = [{"role": "user", "content": "where does this go?"}]


def complete(server: ServiceProcess, organization: str, **extra: object) -> dict:
    body = {
        "provider": "mock",
        "messages": USER,
        "temperature": 0.0,
        "organization_id": organization,
        **extra,
    }
    response = httpx.post(f"{server.url}/tools/complete", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def keys(server: RedisServer) -> list[str]:
    with redis.Redis.from_url(server.url, decode_responses=True) as client:
        return sorted(str(key) for key in client.scan_iter(count=1000))


def usage(server: ServiceProcess, organization: str) -> dict:
    params = {"organization_id": organization, "period": "today"}
    return httpx.get(f"{server.url}/usage", params=params, timeout=10).json()


def fill(server: RedisServer) -> None:
    """Write until a noeviction Redis at its maxmemory refuses more."""
    with redis.Redis.from_url(server.url) as client:
        for index in range(10_000):
            try:
                client.set(f"filler:{index}", b"x" * 65_536)
            except redis.exceptions.OutOfMemoryError:
                return
    raise AssertionError("redis never filled up")


def test_the_cache_lives_on_its_own_redis_and_everything_else_on_the_state_redis(
    redis_servers: Callable[..., RedisServer], processes: Callable[..., ServiceProcess]
) -> None:
    state, cache = redis_servers(), redis_servers()
    org = unique("roles")
    server = processes(
        REDIS_URL=state.url,
        CACHE_REDIS_URL=cache.url,
        QUOTAS={org: {"requests_per_day": 100}},
        USAGE_FLUSH_INTERVAL="0.1",
    )
    assert not complete(server, org, conversation_id="c1")["cached"]
    assert complete(server, org, conversation_id="c1")["cached"]
    wait_until(lambda: usage(server, org)["totals"]["requests"] == 2, timeout=10, what="usage flushed")

    assert keys(cache) and all(key.startswith("llm:") for key in keys(cache))
    state_keys = keys(state)
    assert not any(key.startswith("llm:") for key in state_keys)  # no cached answer in the state Redis
    for prefix in ("gov:quota:", "gov:usage:", "llm-conv:"):
        assert any(key.startswith(prefix) for key in state_keys), (prefix, state_keys)
    checks = httpx.get(f"{server.url}/readyz", timeout=10).json()["checks"]
    assert checks["cache"]["status"] == checks["governance"]["status"] == "ok"


@pytest.mark.parametrize("shared", [False, True], ids=["cache-redis-full", "one-redis-full"])
def test_a_cache_redis_that_refuses_writes_never_fails_a_call(
    shared: bool, redis_servers: Callable[..., RedisServer], processes: Callable[..., ServiceProcess]
) -> None:
    full = redis_servers("--maxmemory", "4mb", "--maxmemory-policy", "noeviction")
    fill(full)
    env: dict[str, object] = (
        {"REDIS_URL": full.url}
        if shared
        else {
            "REDIS_URL": redis_servers().url,
            "CACHE_REDIS_URL": full.url,
        }
    )
    server = processes(**env, REDIS_RETRY_INTERVAL="30")  # a refused write keeps Redis skipped meanwhile
    org = unique("full")
    for _ in range(3):
        assert not complete(server, org)["cached"]  # answered, only not cached
    checks = httpx.get(f"{server.url}/readyz", timeout=10).json()["checks"]
    assert checks["cache"]["status"] == "degraded" and "OutOfMemory" in checks["cache"]["error"]
    # Alone, the cache's trouble leaves quotas and the ledger alone; sharing a full Redis, they count in
    # this process until it accepts writes again.
    assert checks["governance"]["status"] == ("degraded" if shared else "ok")


def compose_state_redis_flags() -> list[str]:
    """The flags docker-compose.yml starts its state Redis with."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["redis"]["command"]
    words = command.split() if isinstance(command, str) else list(command)
    assert words[0] == "redis-server"
    return [str(word) for word in words[1:]]


def test_the_ledger_and_quotas_survive_a_restart_of_composes_redis(
    redis_servers: Callable[..., RedisServer], processes: Callable[..., ServiceProcess]
) -> None:
    state = redis_servers(*compose_state_redis_flags())
    org = unique("restart")
    env = {"REDIS_URL": state.url, "QUOTAS": {org: {"requests_per_day": 5}}, "USAGE_FLUSH_INTERVAL": "0.1"}
    before = processes(**env)
    for _ in range(3):
        complete(before, org, cache=False)
    wait_until(lambda: usage(before, org)["totals"]["requests"] == 3, timeout=10, what="usage flushed")
    before.stop()

    state.stop()  # the container restarting: same data directory, same port
    state.start()
    after = processes(**env)  # a fresh process: nothing comes from the old one's memory
    report = usage(after, org)
    assert report["totals"]["requests"] == 3
    assert {q["quota"]: q["used"] for q in report["quotas"]}["requests_per_day"] == 3
    complete(after, org, cache=False)
    complete(after, org, cache=False)
    refused = httpx.post(
        f"{after.url}/tools/complete",
        json={"provider": "mock", "messages": USER, "organization_id": org, "cache": False},
        timeout=10,
    )
    assert refused.json()["error"]["type"] == "quota_exceeded"  # the sixth call of a five-a-day quota

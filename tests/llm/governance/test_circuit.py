"""Circuit breakers: open after repeated failures, one half-open probe after the cooldown (one across
replicas sharing Redis), closed by its success, re-opened by its failure; and what operators see."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from prometheus_client import CollectorRegistry

from mcp_llm.governance.circuit import BreakerStore, CircuitBreakers, MemoryBreakerStore, RedisBreakerStore
from mcp_llm.governance.metrics import GovernanceMetrics
from mcp_llm.service import LLMService
from mcp_llm.state.redis_link import RedisLink
from mcp_shared.errors import ProviderUnavailableError
from tests.conftest import RedisServer, ServiceProcess
from tests.llm.governance.conftest import ask, http_call, unique

COOLDOWN = 0.3


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[tuple[BreakerStore, BreakerStore]]:
    """Two replicas' views of one shared store."""
    if request.param == "memory":
        store = MemoryBreakerStore()
        yield store, store
        return
    redis_server: RedisServer = request.getfixturevalue("redis_server")
    links = [RedisLink(redis_server.url), RedisLink(redis_server.url)]
    yield RedisBreakerStore(links[0]), RedisBreakerStore(links[1])
    for link in links:
        await link.aclose()


def breakers(store: BreakerStore, registry: CollectorRegistry | None = None) -> CircuitBreakers:
    metrics = GovernanceMetrics(registry or CollectorRegistry())
    return CircuitBreakers(store, metrics, threshold=3, cooldown=COOLDOWN, sync_interval=0.0)


async def test_opens_after_repeated_failures_then_probes_once_and_closes(
    stores: tuple[BreakerStore, BreakerStore],
) -> None:
    registry = CollectorRegistry()
    one, two = breakers(stores[0], registry), breakers(stores[1])
    model = unique("model")
    for _ in range(2):
        await one.failure("mock", model)
    assert await two.admit("mock", model) == "pass"  # two failures: still closed
    await one.success("mock", model)  # a success resets the count
    for _ in range(3):
        await one.failure("mock", model)
    assert await one.admit("mock", model) == "open"
    assert await two.admit("mock", model) == "open"  # the other replica sees it too
    assert registry.get_sample_value("llm_circuit_state", {"provider": "mock", "model": model}) == 2.0

    await asyncio.sleep(COOLDOWN + 0.05)
    probes = [await one.admit("mock", model), await two.admit("mock", model), await one.admit("mock", model)]
    assert sorted(probes) == ["open", "open", "probe"]  # exactly one probe across replicas
    await one.success("mock", model)
    assert await two.admit("mock", model) == "pass"
    assert registry.get_sample_value("llm_circuit_state", {"provider": "mock", "model": model}) == 0.0


async def test_a_failed_probe_opens_the_circuit_again(stores: tuple[BreakerStore, BreakerStore]) -> None:
    one, two = breakers(stores[0]), breakers(stores[1])
    model = unique("model")
    for _ in range(3):
        await one.failure("mock", model)
    await asyncio.sleep(COOLDOWN + 0.05)
    assert await two.admit("mock", model) == "probe"
    await two.failure("mock", model)
    assert await one.admit("mock", model) == "open"
    await asyncio.sleep(COOLDOWN + 0.05)
    assert await one.admit("mock", model) == "probe"  # the next cooldown gets its own probe


def test_operators_see_open_circuits_and_rolling_figures(processes: Callable[..., ServiceProcess]) -> None:
    server = processes(RETRY_MAX_ATTEMPTS="1", CIRCUIT_FAILURE_THRESHOLD="2", CIRCUIT_COOLDOWN="30")
    body = {"model": "mock-fail-server-error", "messages": [{"role": "user", "content": "hi"}]}
    with httpx.Client(base_url=server.url, timeout=10) as http:
        http.post("/tools/complete", json={**body, "model": "mock-1"}).raise_for_status()
        assert http.get("/readyz").json()["checks"]["provider_health"] == {
            "status": "ok",
            "essential": False,
            "mock": "ok",
        }
        assert [http.post("/tools/complete", json=body).status_code for _ in range(3)] == [502, 502, 503]
        health = http.get("/tools/provider_health", params={"provider": "mock"}).json()["providers"][0]
        by_model = {m["model"]: m for m in health["models"]}
        broken = by_model["mock-fail-server-error"]
        assert (broken["circuit"], broken["consecutive_failures"], broken["errors"]) == ("open", 2, 2)
        assert broken["error_rate"] == 1.0 and broken["open_until"] is not None
        assert by_model["mock-1"]["circuit"] == "closed" and by_model["mock-1"]["p50_ms"] is not None
        assert health["status"] == "degraded"
        ready = http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["provider_health"]["mock"] == "degraded"
        listing = http.get("/tools/list_models", params={"provider": "mock"}).json()
        assert all(m["healthy"] is True for m in listing["models"])  # degraded, not down
        metrics = http.get("/metrics").text
        assert 'llm_circuit_state{model="mock-fail-server-error",provider="mock"} 2.0' in metrics
        assert 'llm_provider_up{provider="mock"} 1.0' in metrics


def test_the_circuit_is_shared_by_replicas_through_redis(
    processes: Callable[..., ServiceProcess], redis_server: RedisServer
) -> None:
    env = {"REDIS_URL": redis_server.url, "RETRY_MAX_ATTEMPTS": "1", "CIRCUIT_FAILURE_THRESHOLD": "2"}
    first, second = processes(**env), processes(**env)
    model = f"mock-fail-timeout-{int(time.time() * 1000) % 10_000 + 100}"  # fails its first n attempts
    body = {"model": model, "messages": [{"role": "user", "content": unique("shared")}], "cache": False}
    for _ in range(2):
        assert httpx.post(f"{first.url}/tools/complete", json=body, timeout=10).status_code == 504
    time.sleep(1.1)  # the other replica refreshes its view of shared circuits every second
    refused = httpx.post(f"{second.url}/tools/complete", json=body, timeout=10)
    assert refused.status_code == 503 and "circuit" in refused.json()["error"]["message"]


async def test_a_cache_hit_does_not_take_the_half_open_probe(make_service: Callable[..., LLMService]) -> None:
    """A hit calls no provider, so it can say nothing about its health: it must leave the one half-open
    probe to a call that reaches the provider (whose success then closes the circuit)."""
    svc = await make_service(circuit_failure_threshold=1, circuit_cooldown=COOLDOWN, retry_max_attempts=1)
    remembered = ask("remember me", model="mock-echo", temperature=0.0)
    first = await svc.gateway.complete(remembered, http_call())
    assert not first.cached
    await svc.governance.breakers.failure("mock", "mock-echo")  # the threshold: the circuit opens
    with pytest.raises(ProviderUnavailableError, match="circuit"):
        await svc.gateway.complete(ask("fresh", model="mock-echo", cache=False), http_call())
    await asyncio.sleep(COOLDOWN + 0.05)  # half-open now: one probe may pass

    hit = await svc.gateway.complete(remembered, http_call())
    assert hit.cached and hit.content == first.content

    probe = await svc.gateway.complete(ask("probe", model="mock-echo", cache=False), http_call())
    assert (probe.content, probe.cached) == ("probe", False)
    circuits = await svc.governance.breakers.snapshot()
    assert circuits[("mock", "mock-echo")][0] == "closed"

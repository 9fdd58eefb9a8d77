"""The cache on a real Redis server: storage, expiry, SCAN invalidation, and surviving Redis going away."""

from __future__ import annotations

import time

import httpx
import pytest

from mcp_llm.gateway.cache import CachePolicy, RedisBackend, ResponseCache, cache_key
from mcp_llm.state.redis_link import RedisLink
from mcp_shared.models import ChatMessage, CompletionResponse, GenerationParams, Usage
from tests.conftest import RedisServer, llm_process, wait_until

pytestmark = pytest.mark.redis

MESSAGES = [ChatMessage(role="user", content="hello")]


def response(content: str = "hi") -> CompletionResponse:
    return CompletionResponse(
        content=content,
        provider="mock",
        model="mock-1",
        finish_reason="stop",
        usage=Usage.of(3, 1),
        cost_usd=0.0,
        latency_ms=1.0,
        request_id="req_1",
        requested_provider="mock",
        requested_model="mock-1",
    )


async def test_store_expire_and_invalidate_with_scan(redis_server: RedisServer) -> None:
    link = RedisLink(redis_server.url)
    cache = ResponseCache(
        RedisBackend(link), CachePolicy(True, ttl=1, max_temperature=0.7, skip_providers=frozenset())
    )
    await link.client.flushdb()
    keys = {
        (provider, model, org): cache_key(org, provider, model, MESSAGES, GenerationParams())
        for provider, model, org in [
            ("mock", "mock-1", "a"),
            ("mock", "mock-2", "a"),
            ("openai", "gpt-5-mini", "b"),
        ]
    }
    for key in keys.values():
        await cache.put(key, response())
    assert (await cache.get(keys[("mock", "mock-1", "a")])).content == "hi"
    assert 0 < await link.client.ttl(keys[("mock", "mock-1", "a")]) <= 1

    assert await cache.invalidate(model="mock-2") == 1
    assert await cache.get(keys[("mock", "mock-2", "a")]) is None
    assert await cache.invalidate(provider="openai", organization="a") == 0
    assert await cache.invalidate(provider="openai") == 1
    assert await cache.get(keys[("mock", "mock-1", "a")]) is not None

    time.sleep(1.2)
    assert await cache.get(keys[("mock", "mock-1", "a")]) is None  # expired by Redis itself
    await link.aclose()


def test_requests_survive_redis_going_down_and_the_cache_comes_back(private_redis: RedisServer) -> None:
    redis = private_redis
    server = llm_process(REDIS_URL=redis.url, REDIS_RETRY_INTERVAL="0.2").start()
    args = {"provider": "mock", "messages": [{"role": "user", "content": "survive"}], "temperature": 0.0}
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            assert not http.post("/tools/complete", json=args).json()["cached"]
            assert http.post("/tools/complete", json=args).json()["cached"]
            assert http.get("/readyz").json()["checks"]["cache"] == {
                "status": "ok",
                "essential": False,
                "backend": "redis",
            }
            redis.stop()
            for _ in range(3):
                down = http.post("/tools/complete", json=args)
                assert down.status_code == 200 and down.json()["cached"] is False
            ready = http.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["status"] == "degraded"
            assert ready.json()["checks"]["cache"]["status"] == "degraded"

            redis.start()  # same port, empty: the first call refills, the next one hits
            wait_until(lambda: http.get("/readyz").json()["checks"]["cache"]["status"] == "ok", timeout=10)
            http.post("/tools/complete", json=args)
            assert http.post("/tools/complete", json=args).json()["cached"]
    finally:
        server.stop()
    assert "redis unavailable" in server.log_text() and "reachable again" in server.log_text()

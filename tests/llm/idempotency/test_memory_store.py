"""The in-process idempotency store: claims are exclusive, answers are kept, and its size is bounded."""

from __future__ import annotations

import asyncio

from mcp_llm.gateway.idempotency import Claimed, Found, IdempotencyStore, MemoryIdempotency
from mcp_shared.models import CompletionResponse, Usage


def answer(text: str) -> CompletionResponse:
    return CompletionResponse(
        content=text,
        provider="mock",
        model="mock-1",
        finish_reason="stop",
        usage=Usage.of(3, 2),
        cost_usd=0.0,
        latency_ms=1.0,
        request_id="r",
        requested_provider="mock",
        requested_model="mock-1",
    )


def test_claim_finish_release_and_the_size_bound() -> None:
    async def scenario() -> None:
        store = IdempotencyStore(MemoryIdempotency(max_entries=3), ttl=60, hold=5)
        first = await store.claim("k", "fp")
        assert isinstance(first, Claimed)
        assert await store.claim("k", "fp") == Found("fp", None)  # in flight: exclusive
        await store.release("k", "fp", "not-the-holder")  # only the holder may release
        assert await store.claim("k", "fp") == Found("fp", None)
        await store.finish("k", "fp", answer("kept"))
        found = await store.claim("k", "other")
        assert isinstance(found, Found) and found.fingerprint == "fp"
        assert found.response is not None and found.response.content == "kept"
        for n in range(5):  # past the bound, the least recently used record goes first
            assert isinstance(await store.claim(f"more-{n}", "fp"), Claimed)
        assert isinstance(await store.claim("k", "fp"), Claimed)

    asyncio.run(scenario())


def test_a_claim_expires_when_its_holder_never_comes_back() -> None:
    async def scenario() -> None:
        store = IdempotencyStore(MemoryIdempotency(max_entries=10), ttl=60, hold=0.05)
        assert isinstance(await store.claim("k", "fp"), Claimed)
        await asyncio.sleep(0.1)
        assert isinstance(await store.claim("k", "fp"), Claimed)

    asyncio.run(scenario())

"""The response cache, per hop: a hit answers without a provider call, a cacheable answer is kept."""

from __future__ import annotations

import time

from mcp_llm.gateway.attempt import Attempt, Next
from mcp_llm.gateway.cache import ResponseCache, cache_key
from mcp_llm.gateway.metrics import GatewayMetrics
from mcp_llm.governance.quotas import QuotaManager
from mcp_shared.server.tools import StreamEvent

CACHEABLE_FINISH = frozenset({"stop", "length"})
"""Answers worth caching; an error or a filtered answer is not."""


class Cache:
    """Looks the hop up before anything that guards the provider (circuit, quota, queue) runs: a hit
    calls nobody, so it must not take a half-open probe, a token reservation or a slot. A hit is still
    a request: it counts against the organization's request limits (``QuotaExceededError`` past them)."""

    def __init__(self, cache: ResponseCache, metrics: GatewayMetrics, quotas: QuotaManager) -> None:
        self.cache = cache
        self.metrics = metrics
        self.quotas = quotas

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        hop, request = attempt.target, attempt.request
        params = request.generation_params()
        if not self.cache.policy.allows(hop.provider, params.temperature, request.cache):
            await call_next(attempt)
            return
        key = attempt.cache_key = cache_key(
            attempt.organization, hop.provider, hop.model, request.messages, params
        )
        hit = await self.cache.get(key)
        self.metrics.cache.labels(hop.provider, hop.model, "hit" if hit else "miss").inc()
        if hit is None:
            await call_next(attempt)
            answer, response = attempt.answer, attempt.response
            if answer is not None and response is not None and answer.finish_reason in CACHEABLE_FINISH:
                await self.cache.put(key, response)
            return
        await self.quotas.count_request(attempt.organization)
        attempt.cached = True
        if attempt.sink is not None and hit.content:
            attempt.stream.started = True
            await attempt.sink(StreamEvent(text=hit.content))
        attempt.response = hit.model_copy(
            update={
                "cached": True,
                "cost_usd": 0.0,
                "cache_saving_usd": 0.0,  # the vendor's prompt cache saved nothing on a call never made
                "latency_ms": round((time.perf_counter() - attempt.started) * 1000, 3),
                "request_id": attempt.call.request_id,
                "conversation_id": request.conversation_id,
                "hops": [],
                "fallback_used": False,
            }
        )

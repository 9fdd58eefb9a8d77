"""Prometheus metrics of the gateway pipeline, per provider and model (model labels bounded)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from mcp_llm.routing.labels import ModelLabelled, ModelLabels
from mcp_shared.server.metrics import LATENCY_BUCKETS


class GatewayMetrics:
    """Requests, errors, latency, time to first chunk, tokens, cost, cache outcomes and fallbacks."""

    def __init__(self, registry: CollectorRegistry, models: ModelLabels | None = None) -> None:
        models = models or ModelLabels()
        self.requests = ModelLabelled(
            Counter(
                "llm_requests",
                "Provider calls by outcome (ok or the error type).",
                ["provider", "model", "outcome"],
                registry=registry,
            ),
            models,
        )
        self.latency = ModelLabelled(
            Histogram(
                "llm_request_duration_seconds",
                "Provider call latency (cache hits excluded).",
                ["provider", "model"],
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            models,
        )
        self.first_chunk = ModelLabelled(
            Histogram(
                "llm_time_to_first_chunk_seconds",
                "Time from request to the first streamed chunk.",
                ["provider", "model"],
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            models,
        )
        self.tokens = ModelLabelled(
            Counter(
                "llm_tokens",
                "Tokens by direction (input or output).",
                ["provider", "model", "direction"],
                registry=registry,
            ),
            models,
        )
        self.cost = ModelLabelled(
            Counter("llm_cost_usd", "Spend in USD.", ["provider", "model"], registry=registry), models
        )
        self.cache = ModelLabelled(
            Counter(
                "llm_cache_lookups",
                "Cache lookups by result (hit, miss).",
                ["provider", "model", "result"],
                registry=registry,
            ),
            models,
        )
        self.fallbacks = ModelLabelled(
            Counter(
                "llm_fallbacks",
                "Moves from a hop of a fallback chain to the next, by the hop left and why.",
                ["provider", "model", "reason"],
                registry=registry,
            ),
            models,
        )
        self.retries = ModelLabelled(
            Counter("llm_retries", "Provider call retries.", ["provider", "model"], registry=registry), models
        )

    def record_success(
        self, provider: str, model: str, seconds: float, input_tokens: int, output_tokens: int, cost: float
    ) -> None:
        self.requests.labels(provider, model, "ok").inc()
        self.latency.labels(provider, model).observe(seconds)
        self.tokens.labels(provider, model, "input").inc(input_tokens)
        self.tokens.labels(provider, model, "output").inc(output_tokens)
        if cost:
            self.cost.labels(provider, model).inc(cost)

    def count_retry(self, provider: str, model: str) -> None:
        self.retries.labels(provider, model).inc()

    def record_failure(self, provider: str, model: str, error_type: str) -> None:
        self.requests.labels(provider, model, error_type).inc()

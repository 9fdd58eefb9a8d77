"""Prometheus metrics of governance: quotas, queues, circuits and probes.

Labels are bounded, so a caller cannot blow up the number of series: only organizations the operator
configured (keys or quota entries, plus ``default``) are named, any other ``organization_id`` a caller
makes up is counted as ``other``; circuit models go through the gateway's ``ModelLabels``; queues are
per provider, or per model only where the operator configured one.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from mcp_llm.routing.labels import ModelLabelled, ModelLabels
from mcp_shared.server.metrics import LATENCY_BUCKETS, BoundedLabel

CIRCUIT_STATES = {"closed": 0, "half_open": 1, "open": 2}


class GovernanceMetrics:
    def __init__(
        self,
        registry: CollectorRegistry,
        organizations: Iterable[str] = (),
        models: ModelLabels | None = None,
    ) -> None:
        known = frozenset(organizations) | {"default"}
        self.organization_label = BoundedLabel(known.__contains__, max_unknown=0)
        """``organization -> label``: configured organizations by name, any other as ``other``."""
        models = models or ModelLabels()
        self.quota_rejections = Counter(
            "llm_quota_rejections",
            "Calls refused because a quota would be exceeded, by organization and quota.",
            ["organization", "quota"],
            registry=registry,
        )
        self.quota_utilization = Gauge(
            "llm_quota_utilization_ratio",
            "Share of each quota used in its current window (reserved calls included).",
            ["organization", "quota"],
            registry=registry,
        )
        self.queue_depth = Gauge(
            "llm_queue_depth", "Calls waiting for a provider slot.", ["provider", "model"], registry=registry
        )
        self.queue_in_flight = Gauge(
            "llm_queue_in_flight", "Calls holding a provider slot.", ["provider", "model"], registry=registry
        )
        self.queue_capacity = Gauge(
            "llm_queue_capacity", "Longest queue allowed per gate.", ["provider", "model"], registry=registry
        )
        self.queue_wait = Histogram(
            "llm_queue_wait_seconds",
            "Time calls waited for a provider slot (0 when one was free).",
            ["provider", "model"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.queue_rejections = Counter(
            "llm_queue_rejections",
            "Calls refused by a provider queue, by reason (full or timeout).",
            ["provider", "model", "reason"],
            registry=registry,
        )
        self.circuit_state = ModelLabelled(
            Gauge(
                "llm_circuit_state",
                "Circuit breaker state per provider and model: 0 closed, 1 half-open, 2 open.",
                ["provider", "model"],
                registry=registry,
            ),
            models,
        )
        self.circuit_transitions = ModelLabelled(
            Counter(
                "llm_circuit_transitions",
                "Circuit breaker state changes seen by this replica.",
                ["provider", "model", "state"],
                registry=registry,
            ),
            models,
        )
        self.provider_up = Gauge(
            "llm_provider_up",
            "1 when a configured provider is usable (some circuit closed, last probe fine), else 0.",
            ["provider"],
            registry=registry,
        )
        self.usage_write_failures = Counter(
            "llm_usage_write_failures",
            "Failed writes of buffered usage to Redis (kept and retried).",
            registry=registry,
        )

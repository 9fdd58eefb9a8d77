"""Transport-level Prometheus metrics every service exposes at /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class ToolMetrics:
    """Calls per tool and transport, by outcome, and how long they took."""

    def __init__(self, registry: CollectorRegistry, namespace: str) -> None:
        self.calls = Counter(
            f"{namespace}_tool_calls",
            "Tool calls by tool, transport and outcome (ok or the error type).",
            ["tool", "transport", "outcome"],
            registry=registry,
        )
        self.duration = Histogram(
            f"{namespace}_tool_call_duration_seconds",
            "Wall time of tool calls, including any provider time.",
            ["tool", "transport"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, tool: str, transport: str, outcome: str, seconds: float) -> None:
        self.calls.labels(tool, transport, outcome).inc()
        self.duration.labels(tool, transport).observe(seconds)

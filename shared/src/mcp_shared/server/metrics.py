"""Transport-level Prometheus metrics every service exposes at /metrics, and the bound on label values
that come from callers."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram

OTHER = "other"
"""The label value every name beyond a bound is counted under."""

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


class BoundedLabel:
    """Values of one caller-influenced label, kept to a bounded set.

    Every label value is a series per metric that lives as long as the process, and ``/metrics``
    serializes them all on each scrape. A value ``known`` (configured, catalogued) keeps its name; the
    first ``max_unknown`` other values keep theirs too, so an operator still sees a new model; any
    value after that is counted as ``other``.
    """

    def __init__(self, known: Callable[[str], bool], max_unknown: int) -> None:
        self._known = known
        self._max_unknown = max_unknown
        self._admitted: set[str] = set()

    def __call__(self, value: str) -> str:
        if value in self._admitted or self._known(value):
            return value
        if len(self._admitted) < self._max_unknown:
            self._admitted.add(value)
            return value
        return OTHER

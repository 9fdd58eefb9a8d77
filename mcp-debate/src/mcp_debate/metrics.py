"""Prometheus metrics of the orchestrator: turns, their overhead apart from LLM time, runs, retries."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from mcp_shared.server.metrics import LATENCY_BUCKETS

OVERHEAD_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0)


class DebateMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.turns = Counter(
            "debate_turns",
            "Turns by outcome (ok, joined, or the error type).",
            ["outcome"],
            registry=registry,
        )
        self.overhead = Histogram(
            "debate_turn_overhead_seconds",
            "Time a turn spends outside LLM calls: storage, context building, token checks.",
            buckets=OVERHEAD_BUCKETS,
            registry=registry,
        )
        self.llm_time = Histogram(
            "debate_llm_call_seconds",
            "Wall time of LLM calls made through mcp-llm, by purpose.",
            ["purpose"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.summaries = Counter(
            "debate_summaries", "Summaries made, by scope (context or debate).", ["scope"], registry=registry
        )
        self.active_runs = Gauge(
            "debate_active_runs", "Runs driving a debate in this process.", registry=registry
        )

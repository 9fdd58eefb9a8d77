"""What recording an answer's quality signals costs per call, in process (no server, no network).

Times ``QualitySignals.record`` (Prometheus series and the quality ledger's buffer) for a plain answer,
for an answer to a call that asked for ``json_object`` and for one checked against a JSON Schema (its
validator from the cache of checked schemas, as the ``Signals`` stage gets it), and the judge's
sampling draw when judging is on. Prints microseconds per call (median of 5 runs). Run with
``uv run python -m bench.quality_signals``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry

from mcp_llm.quality.checks import json_outcome, json_validator
from mcp_llm.quality.judge import Judge, JudgeConfig
from mcp_llm.quality.signals import QualitySignals
from mcp_llm.routing.labels import ModelLabels
from mcp_shared.models import CompletionResponse, ResponseFormat, Usage

CALLS = 2_000
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "people": {"type": "integer"}},
    "required": ["city", "people"],
}


def per_call_us(work: Callable[[], object], calls: int = CALLS) -> float:
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(calls):
            work()
        runs.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(runs)


def main() -> None:
    signals = QualitySignals(CollectorRegistry(), ModelLabels(), frozenset({"a", "b"}))
    prose = "The strongest point here is evidence: incentives shape behaviour more than rules do. " * 4
    response = CompletionResponse(
        content=prose,
        provider="mock",
        model="mock-1",
        finish_reason="stop",
        usage=Usage.of(120, 80),
        cost_usd=0.0001,
        latency_ms=350.0,
        request_id="r",
        requested_provider="mock",
        requested_model="mock-1",
        variant="a",
    )
    as_json = response.model_copy(update={"content": '{"city": "Oslo", "people": 700000}'})
    by_schema = ResponseFormat.model_validate(
        {"type": "json_schema", "json_schema": {"name": "town", "schema": SCHEMA}}
    )
    judge = Judge(JudgeConfig(None, "mock-judge", 0.1, "rubric", 100, "ops"), signals, CollectorRegistry())
    cases: dict[str, Callable[[], object]] = {
        "plain answer": lambda: signals.record("acme", response, None),
        "json_object answer": lambda: signals.record(
            "acme", as_json, None, json_outcome=json_outcome(as_json.content, None)
        ),
        "json_schema answer (schema from the LRU)": lambda: signals.record(
            "acme", as_json, None, json_outcome=json_outcome(as_json.content, json_validator(by_schema))
        ),
        "judge sampling draw": judge.sampled,
    }
    for name, work in cases.items():
        print(f"{name:48s} {per_call_us(work):8.2f} us/call", flush=True)


if __name__ == "__main__":
    main()

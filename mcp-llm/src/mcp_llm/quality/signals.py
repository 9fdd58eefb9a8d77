"""Per response: finish reason, empty answers, output tokens per second and time to first token.

Recorded as Prometheus metrics labelled provider, model and variant — all bounded: providers come from
the registry, models go through ``ModelLabels`` and variants are the configured ones (``none`` outside
an experiment, ``other`` for anything unexpected) — and as in-process totals for ``quality_report``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from pydantic import BaseModel, ConfigDict

from mcp_llm.routing.labels import ModelLabelled, ModelLabels
from mcp_shared.models import CompletionResponse
from mcp_shared.server.metrics import LATENCY_BUCKETS
from mcp_shared.server.tools import CallContext, ToolSpec

RATE_BUCKETS = (1, 5, 10, 25, 50, 100, 200, 400, 800, 1600, 5000)
TTFT_SAMPLES = 1_000


@dataclass(slots=True)
class Tally:
    """Totals of one provider, model and variant since the process started."""

    responses: int = 0
    finish: dict[str, int] = field(default_factory=dict)
    empty: int = 0
    rate_total: float = 0.0
    rate_count: int = 0
    ttft: deque[float] = field(default_factory=lambda: deque(maxlen=TTFT_SAMPLES))


class QualityRow(BaseModel):
    provider: str
    model: str
    variant: str
    responses: int
    truncated: int
    content_filtered: int
    empty: int
    finish_reasons: dict[str, int]
    output_tokens_per_second: float | None
    time_to_first_token_p50_s: float | None


class QualityReport(BaseModel):
    rows: list[QualityRow]


class QualityArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QualitySignals:
    """Takes each answered response and records its signals."""

    def __init__(self, registry: CollectorRegistry, models: ModelLabels, variants: frozenset[str]) -> None:
        self._variants = variants
        self._models = models
        labels = ["provider", "model", "variant"]
        self.finish = ModelLabelled(
            Counter(
                "llm_quality_responses",
                "Answered responses by finish reason (length: truncated; content_filter: refused).",
                [*labels, "finish_reason"],
                registry=registry,
            ),
            models,
        )
        self.empty = ModelLabelled(
            Counter(
                "llm_quality_empty_answers", "Answers empty or only whitespace.", labels, registry=registry
            ),
            models,
        )
        self.rate = ModelLabelled(
            Histogram(
                "llm_quality_output_tokens_per_second",
                "Output tokens per second of provider calls (cache hits excluded).",
                labels,
                buckets=RATE_BUCKETS,
                registry=registry,
            ),
            models,
        )
        self.ttft = ModelLabelled(
            Histogram(
                "llm_quality_time_to_first_token_seconds",
                "Time from request to the first streamed token, per variant.",
                labels,
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            models,
        )
        self._tallies: dict[tuple[str, str, str], Tally] = {}

    def variant_label(self, variant: str | None) -> str:
        if variant is None:
            return "none"
        return variant if variant in self._variants else "other"

    def record(self, response: CompletionResponse, ttft_s: float | None) -> None:
        variant = self.variant_label(response.variant)
        provider, model = response.provider, self._models(response.provider, response.model)
        tally = self._tallies.setdefault((provider, model, variant), Tally())
        tally.responses += 1
        tally.finish[response.finish_reason] = tally.finish.get(response.finish_reason, 0) + 1
        self.finish.labels(provider, model, variant, response.finish_reason).inc()
        if not response.content.strip():
            tally.empty += 1
            self.empty.labels(provider, model, variant).inc()
        if not response.cached and response.latency_ms > 0 and response.usage.output_tokens > 0:
            rate = response.usage.output_tokens / (response.latency_ms / 1000)
            tally.rate_total += rate
            tally.rate_count += 1
            self.rate.labels(provider, model, variant).observe(rate)
        if ttft_s is not None:
            tally.ttft.append(ttft_s)
            self.ttft.labels(provider, model, variant).observe(ttft_s)

    def report(self) -> QualityReport:
        rows = []
        for (provider, model, variant), t in sorted(self._tallies.items()):
            ttft = sorted(t.ttft)
            rows.append(
                QualityRow(
                    provider=provider,
                    model=model,
                    variant=variant,
                    responses=t.responses,
                    truncated=t.finish.get("length", 0),
                    content_filtered=t.finish.get("content_filter", 0),
                    empty=t.empty,
                    finish_reasons=dict(t.finish),
                    output_tokens_per_second=round(t.rate_total / t.rate_count, 3) if t.rate_count else None,
                    time_to_first_token_p50_s=round(ttft[(len(ttft) - 1) // 2], 6) if ttft else None,
                )
            )
        return QualityReport(rows=rows)


def build_quality_tools(signals: QualitySignals) -> list[ToolSpec[Any]]:
    async def quality_report(args: QualityArgs, call: CallContext) -> QualityReport:
        return signals.report()

    return [
        ToolSpec(
            "quality_report",
            "Automatic quality signals per provider, model and experiment variant since the server started: "
            "responses, truncated (finish length), content-filtered, empty answers, all finish reasons, mean "
            "output tokens per second and median time to first token of streams.",
            QualityArgs,
            quality_report,
            QualityReport,
            read_only=True,
        )
    ]

"""Per response: finish reason, refusal wording, empty answers, JSON validity, output tokens per second,
time to first token, cost, retries and fallbacks, and the judge's scores when judging is on.

Recorded as Prometheus metrics labelled provider, model and variant — all bounded: providers come from
the registry, models go through ``ModelLabels`` and variants are the configured ones (``none`` outside
an experiment, ``other`` for anything unexpected) — and in the quality ledger (``ledger.py``) per
organization and day, which ``quality_report`` reads.
"""

from __future__ import annotations

import math
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from mcp_llm.quality.checks import JsonOutcome, is_refusal
from mcp_llm.quality.ledger import QUALITY, QualityLedger
from mcp_llm.routing.labels import ModelLabelled, ModelLabels
from mcp_llm.state.daily_counters import MemoryCounterStore
from mcp_shared.models import CompletionResponse
from mcp_shared.server.metrics import LATENCY_BUCKETS

RATE_BUCKETS = (1, 5, 10, 25, 50, 100, 200, 400, 800, 1600, 5000)
SCORE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 2.5, 5.0, 10.0)


class QualitySignals:
    """Takes each answered response and records its signals."""

    def __init__(
        self,
        registry: CollectorRegistry,
        models: ModelLabels,
        variants: frozenset[str],
        ledger: QualityLedger | None = None,
    ) -> None:
        self._variants = variants
        self._models = models
        self.ledger = ledger or QualityLedger(MemoryCounterStore(QUALITY))
        labels = ["provider", "model", "variant"]

        def counter(name: str, doc: str, extra: list[str] | None = None) -> ModelLabelled:
            return ModelLabelled(Counter(name, doc, [*labels, *(extra or [])], registry=registry), models)

        def histogram(name: str, doc: str, buckets: tuple[float, ...]) -> ModelLabelled:
            return ModelLabelled(Histogram(name, doc, labels, buckets=buckets, registry=registry), models)

        self.finish = counter(
            "llm_quality_responses",
            "Answered responses by finish reason (length: truncated; content_filter: refused).",
            ["finish_reason"],
        )
        self.empty = counter("llm_quality_empty_answers", "Answers empty or only whitespace.")
        self.refusals = counter(
            "llm_quality_refusals", "Answers that open with refusal wording (a fixed list of phrasings)."
        )
        self.json = counter(
            "llm_quality_json_answers",
            "Answers to calls that asked for JSON: valid, unparsable, or schema_mismatch.",
            ["outcome"],
        )
        self.retries = counter(
            "llm_quality_retries", "Provider calls repeated by the retry policy, by the answer's variant."
        )
        self.fallbacks = counter("llm_quality_fallback_answers", "Answers that came from a fallback hop.")
        self.cost = counter("llm_quality_cost_usd", "What the answers cost, by variant (dollars).")
        self.rate = histogram(
            "llm_quality_output_tokens_per_second",
            "Output tokens per second of provider calls (cache hits excluded).",
            RATE_BUCKETS,
        )
        self.ttft = histogram(
            "llm_quality_time_to_first_token_seconds",
            "Time from request to the first streamed token, per variant.",
            LATENCY_BUCKETS,
        )
        self.judge_scores = histogram(
            "llm_quality_judge_score", "Scores the judge model gave to sampled answers.", SCORE_BUCKETS
        )
        self._children: dict[tuple[str, ...], Any] = {}
        """Labelled series by (metric, labels): looking one up in prometheus_client costs more than
        everything else recorded per answer. Bounded, because every label is."""

    def _series(self, metric: ModelLabelled[Any], name: str, *labels: str) -> Any:
        key = (name, *labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def variant_label(self, variant: str | None) -> str:
        if variant is None:
            return "none"
        return variant if variant in self._variants else "other"

    def record(
        self,
        organization: str,
        response: CompletionResponse,
        ttft_s: float | None,
        retries: int = 0,
        json_outcome: JsonOutcome | None = None,
    ) -> None:
        variant = self.variant_label(response.variant)
        provider, model = response.provider, self._models(response.provider, response.model)
        finish = response.finish_reason
        amounts = {
            "responses": 1,
            "truncated": int(finish == "length"),
            "content_filtered": int(finish == "content_filter"),
            "retries": retries,
            "fallbacks": int(response.fallback_used),
            "cost_nusd": math.floor(response.cost_usd * 1e9 + 0.5),
        }
        self._series(self.finish, "finish", provider, model, variant, finish).inc()
        if retries:
            self._series(self.retries, "retries", provider, model, variant).inc(retries)
        if response.fallback_used:
            self._series(self.fallbacks, "fallbacks", provider, model, variant).inc()
        if response.cost_usd > 0:
            self._series(self.cost, "cost", provider, model, variant).inc(response.cost_usd)
        if not response.content.strip():
            amounts["empty"] = 1
            self._series(self.empty, "empty", provider, model, variant).inc()
        elif is_refusal(response.content):
            amounts["refusals"] = 1
            self._series(self.refusals, "refusals", provider, model, variant).inc()
        if json_outcome is not None:
            amounts["json_requested"] = 1
            amounts[f"json_{json_outcome}"] = 1
            self._series(self.json, "json", provider, model, variant, json_outcome).inc()
        if not response.cached and response.latency_ms > 0 and response.usage.output_tokens > 0:
            rate = response.usage.output_tokens / (response.latency_ms / 1000)
            amounts["rate_count"], amounts["rate_milli"] = 1, round(rate * 1000)
            self._series(self.rate, "rate", provider, model, variant).observe(rate)
        if ttft_s is not None:
            amounts["ttft_count"], amounts["ttft_us"] = 1, round(ttft_s * 1e6)
            self._series(self.ttft, "ttft", provider, model, variant).observe(ttft_s)
        self.ledger.add(organization, provider, model, variant, amounts)

    def record_judged(
        self, organization: str, provider: str, model: str, variant: str | None, score: float
    ) -> None:
        """A judge's score of an earlier answer, on the row of the answer (not of the judge's call)."""
        label, model = self.variant_label(variant), self._models(provider, model)
        self.judge_scores.labels(provider, model, label).observe(score)
        self.ledger.add(
            organization, provider, model, label, {"judged": 1, "judge_score_micro": round(score * 1e6)}
        )

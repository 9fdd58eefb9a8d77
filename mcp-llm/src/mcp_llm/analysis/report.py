"""``experiment_report`` and ``freeze_experiment``: what each variant did, and acting on it.

Both are for operators when authentication is on (the configured admin organizations): the report
pools every organization's traffic, and freezing redirects everyone's.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mcp_llm.experiments.config import Experiment, MetricSpec
from mcp_llm.experiments.registry import Experiments
from mcp_llm.experiments.sequential import Arm, decide, interval
from mcp_llm.feedback.store import FeedbackStore, VariantStats
from mcp_llm.state.redis_link import redis_errors
from mcp_shared.errors import InvalidRequestError, ProviderUnavailableError
from mcp_shared.identifiers import ExperimentName
from mcp_shared.server.tools import CallContext, ToolSpec

METHOD = (
    "always-valid confidence sequences (normal mixture, Howard et al. 2021), one per variant at "
    "level alpha/K; a winner when its sequence clears every other's"
)


class ReportArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    experiment: ExperimentName


class Percentiles(BaseModel):
    p50: float | None
    p95: float | None


class VariantReport(BaseModel):
    variant: str
    provider: str | None
    model: str
    requests: int
    feedback: int = Field(description="Values of the experiment's metric received.")
    mean: float | None = Field(description="Mean of the metric (true counts as 1).")
    interval_95: tuple[float, float] | None = Field(
        description="Always-valid 95 % confidence sequence for the mean, in the metric's units."
    )
    latency_ms: Percentiles
    cost_usd: Percentiles


class ExperimentReport(BaseModel):
    experiment: str
    metric: str | None
    higher_is_better: bool
    alpha: float
    min_samples: int
    decision: str = Field(description="collecting, winner: <variant>, or no difference at this sample size.")
    method: str
    frozen_on: str | None
    variants: list[VariantReport]
    backend: str


class FreezeArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    experiment: ExperimentName
    variant: str | None = Field(
        default=None, max_length=64, description="Send all traffic to this variant; omit to unfreeze."
    )


class FreezeResult(BaseModel):
    experiment: str
    frozen_on: str | None


def percentiles(values: list[float]) -> Percentiles:
    """Nearest-rank percentiles of the kept samples."""
    if not values:
        return Percentiles(p50=None, p95=None)
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return Percentiles(p50=round(rank(0.5), 6), p95=round(rank(0.95), 6))


def build_report(
    experiment: Experiment, metric: MetricSpec | None, stats: dict[str, VariantStats], frozen: str | None
) -> ExperimentReport:
    arms: list[Arm] = []
    rows: list[VariantReport] = []
    for variant in experiment.variants:
        s = stats[variant.name]
        totals = s.metrics.get(metric.name) if metric else None
        n = totals.n if totals else 0
        mean = interval_95 = None
        if metric is not None and totals is not None and n:
            mean = totals.total / n
            span = metric.max - metric.min if metric.type == "number" else 1.0
            low = metric.min if metric.type == "number" else 0.0
            scaled = (mean - low) / span
            arms.append(Arm(variant.name, n, scaled))
            lo, hi = interval(arms[-1], 0.05, experiment.min_samples)
            interval_95 = (round(low + lo * span, 6), round(low + hi * span, 6))
        else:
            arms.append(Arm(variant.name, 0, 0.0))
        rows.append(
            VariantReport(
                variant=variant.name,
                provider=variant.provider,
                model=variant.model,
                requests=s.requests,
                feedback=n,
                mean=None if mean is None else round(mean, 6),
                interval_95=interval_95,
                latency_ms=percentiles(s.latencies_ms),
                cost_usd=percentiles(s.costs_usd),
            )
        )
    higher = metric.higher_is_better if metric else True
    decision = decide(arms, experiment.alpha, experiment.min_samples, higher) if metric else "collecting"
    return ExperimentReport(
        experiment=experiment.name,
        metric=metric.name if metric else None,
        higher_is_better=higher,
        alpha=experiment.alpha,
        min_samples=experiment.min_samples,
        decision=decision,
        method=METHOD,
        frozen_on=frozen,
        variants=rows,
        backend="",
    )


def build_analysis_tools(
    experiments: Experiments, store: FeedbackStore, operators: frozenset[str]
) -> list[ToolSpec[Any]]:
    metrics = {m.name: m for m in experiments.metrics}

    def require_operator(call: CallContext) -> None:
        if call.organization_id is not None and call.organization_id not in operators:
            raise InvalidRequestError(
                "only an operator (a key of AUTH_ADMIN_ORGANIZATIONS) may do this", status=403
            )

    async def experiment_report(args: ReportArgs, call: CallContext) -> ExperimentReport:
        require_operator(call)
        experiment = experiments.get(args.experiment)
        try:
            stats = await store.stats(experiment.name, [v.name for v in experiment.variants])
            frozen = await experiments.frozen_on(experiment.name)
        except redis_errors() as exc:
            raise ProviderUnavailableError(
                f"feedback store unavailable: {type(exc).__name__}", status=503
            ) from exc
        metric = metrics.get(experiment.metric) if experiment.metric else None
        report = build_report(experiment, metric, stats, frozen)
        report.backend = store.name
        return report

    async def freeze_experiment(args: FreezeArgs, call: CallContext) -> FreezeResult:
        require_operator(call)
        try:
            experiment = await experiments.freeze(args.experiment, args.variant)
        except redis_errors() as exc:
            raise ProviderUnavailableError(
                f"experiment store unavailable: {type(exc).__name__}", status=503
            ) from exc
        return FreezeResult(experiment=experiment.name, frozen_on=args.variant)

    return [
        ToolSpec(
            "experiment_report",
            "Per variant of an experiment: requests, feedback count, metric mean with an always-valid 95 % "
            "interval, latency and cost percentiles, and the decision (collecting, winner: X, or no "
            "difference at this sample size) from a sequential test valid however often it is read.",
            ReportArgs,
            experiment_report,
            ExperimentReport,
            read_only=True,
        ),
        ToolSpec(
            "freeze_experiment",
            "Send all of an experiment's traffic to one variant (e.g. its winner) without a restart; "
            "omit variant to resume the weighted split. Operators only when authentication is on.",
            FreezeArgs,
            freeze_experiment,
            FreezeResult,
        ),
    ]

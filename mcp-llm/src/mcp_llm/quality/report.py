"""``quality_report`` (also ``GET /quality``): the automatic signals per organization, provider, model,
experiment variant and day or month over a period, as JSON rows and totals or as CSV.

Periods, organization scoping, CSV and the download route are ``usage_report``'s (``reports.py``): with
authentication on, a caller sees only its own organization's rows unless its key is an admin's.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from starlette.routing import BaseRoute

from mcp_llm.quality.ledger import FIELDS, QualityLedger
from mcp_llm.reports import PeriodArgs, PeriodReport, ReportAccess, read_period, report_route, to_csv, totals
from mcp_llm.state.daily_counters import Counts
from mcp_shared.identifiers import ModelName, ProviderName
from mcp_shared.server.tools import CallContext, ToolRegistry, ToolSpec

COUNTS = tuple(f for f in FIELDS if f not in ("rate_milli", "ttft_us", "cost_nusd", "judge_score_micro"))


class QualityArgs(PeriodArgs):
    granularity: Literal["day", "month"] = Field(default="day", description="One row per day or per month.")
    provider: ProviderName | None = Field(default=None, description="Only this provider.")
    model: ModelName | None = Field(default=None, description="Only this model.")
    variant: str | None = Field(
        default=None, max_length=64, description="Only this experiment variant ('none': outside experiments)."
    )


class QualityLine(BaseModel):
    period: str = Field(description="YYYY-MM-DD, or YYYY-MM with granularity month.")
    organization: str
    provider: str
    model: str
    variant: str
    responses: int
    truncated: int = Field(description="Finish reason length.")
    content_filtered: int = Field(description="Finish reason content_filter.")
    refusals: int = Field(description="Answers opening with refusal wording.")
    empty: int = Field(description="Empty or whitespace answers.")
    json_requested: int = Field(description="Calls that asked for JSON (json_object or json_schema).")
    json_valid: int = Field(description="Of those, answers that parse (and follow the schema, if given).")
    json_unparsable: int
    json_schema_mismatch: int
    retries: int = Field(description="Provider calls repeated by the retry policy.")
    fallbacks: int = Field(description="Answers that came from a fallback hop.")
    output_tokens_per_second: float | None = Field(description="Mean over uncached answers.")
    time_to_first_token_s: float | None = Field(description="Mean over streams.")
    cost_usd: float
    judged: int = Field(description="Answers the judge model scored.")
    judge_score: float | None = Field(description="Mean judge score.")


class QualityTotals(BaseModel):
    responses: int = 0
    truncated: int = 0
    content_filtered: int = 0
    refusals: int = 0
    empty: int = 0
    json_requested: int = 0
    json_valid: int = 0
    json_unparsable: int = 0
    json_schema_mismatch: int = 0
    retries: int = 0
    fallbacks: int = 0
    cost_usd: float = 0.0
    judged: int = 0


class QualityReport(PeriodReport):
    granularity: str
    rows: list[QualityLine]
    totals: QualityTotals
    backend: str


def _mean(total: int, count: int, unit: float) -> float | None:
    return round(total / unit / count, 6) if count else None


def _lines(rows: Counts, args: QualityArgs) -> list[QualityLine]:
    merged: dict[tuple[str, ...], dict[str, int]] = {}
    for (organization, day, provider, model, variant), values in rows.items():
        if args.provider and provider != args.provider:
            continue
        if args.model and model != args.model:
            continue
        if args.variant and variant != args.variant:
            continue
        period = day[:7] if args.granularity == "month" else day
        target = merged.setdefault((period, organization, provider, model, variant), dict.fromkeys(FIELDS, 0))
        for name, amount in values.items():
            target[name] += amount
    lines = []
    for (period, org, provider, model, variant), v in sorted(merged.items()):
        lines.append(
            QualityLine(
                period=period,
                organization=org,
                provider=provider,
                model=model,
                variant=variant,
                output_tokens_per_second=_mean(v["rate_milli"], v["rate_count"], 1e3),
                time_to_first_token_s=_mean(v["ttft_us"], v["ttft_count"], 1e6),
                cost_usd=round(v["cost_nusd"] / 1e9, 9),
                judge_score=_mean(v["judge_score_micro"], v["judged"], 1e6),
                **{name: v[name] for name in COUNTS if name in QualityLine.model_fields},
            )
        )
    return lines


async def build_quality_report(
    ledger: QualityLedger, args: QualityArgs, organization: str | None
) -> QualityReport:
    start, end, rows = await read_period(ledger, args, organization, "quality")
    lines = _lines(rows, args)
    return QualityReport(
        organization_id=organization,
        start=start.isoformat(),
        end=end.isoformat(),
        granularity=args.granularity,
        rows=lines,
        totals=totals(QualityTotals, lines),
        backend=ledger.store.name,
        csv=to_csv(QualityLine, lines) if args.format == "csv" else None,
    )


def build_quality_tools(ledger: QualityLedger, access: ReportAccess) -> list[ToolSpec[Any]]:
    async def quality_report(args: QualityArgs, call: CallContext) -> QualityReport:
        organization = access.organization(args.organization_id, call.organization_id)
        return await build_quality_report(ledger, args, organization)

    return [
        ToolSpec(
            "quality_report",
            "Automatic quality signals per organization, provider, model, experiment variant and day (or "
            "month) over a period: responses, truncated, content-filtered, refusals, empty answers, JSON "
            "asked for and valid, retries, fallbacks, mean output tokens per second and time to first "
            "token, cost, and judge scores; format=csv adds the rows as CSV.",
            QualityArgs,
            quality_report,
            QualityReport,
            read_only=True,
        )
    ]


def quality_routes(tools: ToolRegistry) -> list[BaseRoute]:
    """``GET /quality?period=|start=&end=&granularity=&format=csv|json``, like ``GET /usage``."""
    return [report_route(tools, "/quality", "quality_report", lambda r: f"quality-{r.start}-{r.end}.csv")]

"""``quality_report`` (also ``GET /quality``): the automatic signals per organization, provider, model,
experiment variant and day or month over a period, as JSON rows and totals or as CSV.

Periods and organization scoping are ``usage_report``'s: with authentication on, a caller sees only its
own organization's rows unless its key is an admin's.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mcp_llm.governance.tools import UsageAccess
from mcp_llm.governance.usage_report import Period, UsageReportArgs, days_between, inert_cell, resolve_period
from mcp_llm.quality.ledger import FIELDS, QualityLedger, QualityRow
from mcp_shared.auth import ORGANIZATION_SCOPE_KEY
from mcp_shared.errors import ProviderUnavailableError, ServiceError
from mcp_shared.identifiers import ModelName, OrganizationId, ProviderName
from mcp_shared.server.http_app import error_response
from mcp_shared.server.tools import CallContext, ToolRegistry, ToolSpec

COUNTS = tuple(f for f in FIELDS if f not in ("rate_milli", "ttft_us", "cost_nusd", "judge_score_micro"))


class QualityArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: OrganizationId | None = Field(
        default=None,
        description="Organization to report on (every organization when omitted and allowed). "
        "Authenticated callers get their own organization unless their key is an admin's.",
    )
    period: Period | None = Field(
        default=None, description="A named period (UTC); the default is this_month unless start is given."
    )
    start: date | None = Field(default=None, description="First day (YYYY-MM-DD, UTC), inclusive.")
    end: date | None = Field(
        default=None, description="Last day (YYYY-MM-DD, UTC), inclusive; default today."
    )
    granularity: Literal["day", "month"] = Field(default="day", description="One row per day or per month.")
    provider: ProviderName | None = Field(default=None, description="Only this provider.")
    model: ModelName | None = Field(default=None, description="Only this model.")
    variant: str | None = Field(
        default=None, max_length=64, description="Only this experiment variant ('none': outside experiments)."
    )
    format: Literal["json", "csv"] = Field(
        default="json", description="csv also returns the rows as CSV text."
    )

    @model_validator(mode="after")
    def _one_way(self) -> QualityArgs:
        if self.period is not None and (self.start is not None or self.end is not None):
            raise ValueError("give either period or start/end, not both")
        return self


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


class QualityReport(BaseModel):
    organization_id: str | None
    start: str
    end: str
    granularity: str
    rows: list[QualityLine]
    totals: QualityTotals
    backend: str
    csv: str | None = None


def _mean(total: int, count: int, unit: float) -> float | None:
    return round(total / unit / count, 6) if count else None


def _lines(rows: list[QualityRow], args: QualityArgs) -> list[QualityLine]:
    merged: dict[tuple[str, str, str, str, str], dict[str, int]] = {}
    for row in rows:
        if args.provider and row.provider != args.provider:
            continue
        if args.model and row.model != args.model:
            continue
        if args.variant and row.variant != args.variant:
            continue
        period = row.day[:7] if args.granularity == "month" else row.day
        target = merged.setdefault(
            (period, row.organization, row.provider, row.model, row.variant), dict.fromkeys(FIELDS, 0)
        )
        for name, amount in row.values.items():
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


def to_csv(lines: list[QualityLine]) -> str:
    columns = list(QualityLine.model_fields)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for line in lines:
        data = line.model_dump()
        writer.writerow(["" if data[c] is None else inert_cell(data[c]) for c in columns])
    return out.getvalue()


async def build_quality_report(
    ledger: QualityLedger, args: QualityArgs, organization: str | None
) -> QualityReport:
    start, end = resolve_period(UsageReportArgs(period=args.period, start=args.start, end=args.end))
    rows = await ledger.read(days_between(start, end), organization)
    if rows is None:
        raise ProviderUnavailableError(
            "quality store unavailable (Redis is down); try again shortly", status=503
        )
    lines = _lines(rows, args)
    totals = QualityTotals()
    for line in lines:
        for name in QualityTotals.model_fields:
            setattr(totals, name, getattr(totals, name) + getattr(line, name))
    totals.cost_usd = round(totals.cost_usd, 9)
    return QualityReport(
        organization_id=organization,
        start=start.isoformat(),
        end=end.isoformat(),
        granularity=args.granularity,
        rows=lines,
        totals=totals,
        backend=ledger.store.name,
        csv=to_csv(lines) if args.format == "csv" else None,
    )


def build_quality_tools(ledger: QualityLedger, access: UsageAccess) -> list[ToolSpec[Any]]:
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

    async def quality(request: Request) -> Response:
        call = CallContext(transport="http", organization_id=request.scope.get(ORGANIZATION_SCOPE_KEY))
        spec = tools.get("quality_report")
        try:
            args = tools.parse_arguments(spec, dict(request.query_params))
            report = await tools.run(spec, args, call)
        except ServiceError as exc:
            return error_response(exc, call.request_id)
        assert isinstance(report, QualityReport)
        if report.csv is not None:
            return Response(
                report.csv,
                media_type="text/csv; charset=utf-8",
                headers={
                    "Content-Disposition": f'attachment; filename="quality-{report.start}-{report.end}.csv"',
                    "X-Request-Id": call.request_id,
                },
            )
        return Response(
            report.model_dump_json(), media_type="application/json", headers={"X-Request-Id": call.request_id}
        )

    return [Route("/quality", quality, methods=["GET"])]

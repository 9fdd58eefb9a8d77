"""``usage_report``: an organization's usage over a period, as JSON rows and totals or as CSV for billing."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mcp_llm.governance.ledger import FIELDS, NANO, UsageLedger
from mcp_llm.reports import PeriodArgs, PeriodReport, read_period, to_csv, totals
from mcp_llm.reports import resolve_period as resolve_period  # where callers of usage_report look for it


class UsageReportArgs(PeriodArgs):
    pass


class UsageLine(BaseModel):
    date: str
    organization: str
    provider: str
    model: str
    requests: int
    cached_requests: int
    failed_requests: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    cost_usd: float


class UsageTotals(BaseModel):
    requests: int = 0
    cached_requests: int = 0
    failed_requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0


class UsageReport(PeriodReport):
    rows: list[UsageLine]
    totals: UsageTotals
    quotas: list[dict[str, object]] = Field(
        default_factory=list, description="Current use of each quota (when one organization is reported)."
    )


def _line(key: tuple[str, ...], values: dict[str, int]) -> UsageLine:
    organization, day, provider, model = key
    counts = {name: values.get(name, 0) for name in FIELDS}
    cost = counts.pop("cost_nusd") / NANO
    return UsageLine(
        date=day, organization=organization, provider=provider, model=model, cost_usd=round(cost, 9), **counts
    )


async def build_report(ledger: UsageLedger, args: UsageReportArgs, organization: str | None) -> UsageReport:
    """Rows sorted by date, organization, provider and model, with totals (and CSV when asked)."""
    start, end, rows = await read_period(ledger, args, organization, "usage")
    lines = sorted(
        (_line(k, v) for k, v in rows.items()), key=lambda x: (x.date, x.organization, x.provider, x.model)
    )
    return UsageReport(
        organization_id=organization,
        start=start.isoformat(),
        end=end.isoformat(),
        rows=lines,
        totals=totals(UsageTotals, lines),
        csv=to_csv(UsageLine, lines) if args.format == "csv" else None,
    )

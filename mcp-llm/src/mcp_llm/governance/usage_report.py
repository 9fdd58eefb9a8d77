"""``usage_report``: an organization's usage over a period, as JSON rows and totals or as CSV for billing."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mcp_llm.governance.ledger import FIELDS, NANO, UsageLedger, UsageRow
from mcp_shared.errors import InvalidRequestError, ProviderUnavailableError
from mcp_shared.identifiers import OrganizationId

Period = Literal["today", "yesterday", "this_month", "last_month", "last_7_days", "last_30_days"]
MAX_DAYS = 400
CSV_COLUMNS = ("date", "organization", "provider", "model", *FIELDS[:-1], "cost_usd")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""Characters that make a spreadsheet read a cell as a formula (OWASP's list for CSV injection)."""


class UsageReportArgs(BaseModel):
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
    format: Literal["json", "csv"] = Field(
        default="json", description="csv also returns the rows as CSV text."
    )

    @model_validator(mode="after")
    def _one_way(self) -> UsageReportArgs:
        if self.period is not None and (self.start is not None or self.end is not None):
            raise ValueError("give either period or start/end, not both")
        return self


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


class UsageReport(BaseModel):
    organization_id: str | None
    start: str
    end: str
    rows: list[UsageLine]
    totals: UsageTotals
    quotas: list[dict[str, object]] = Field(
        default_factory=list, description="Current use of each quota (when one organization is reported)."
    )
    csv: str | None = None


def resolve_period(args: UsageReportArgs, today: date | None = None) -> tuple[date, date]:
    today = today or datetime.fromtimestamp(time.time(), tz=UTC).date()
    if args.start is not None or args.end is not None:
        end = args.end or today
        start = args.start or end
    else:
        period = args.period or "this_month"
        if period == "today":
            start = end = today
        elif period == "yesterday":
            start = end = today - timedelta(days=1)
        elif period == "this_month":
            start, end = today.replace(day=1), today
        elif period == "last_month":
            end = today.replace(day=1) - timedelta(days=1)
            start = end.replace(day=1)
        else:
            span = 7 if period == "last_7_days" else 30
            start, end = today - timedelta(days=span - 1), today
    if start > end:
        raise InvalidRequestError("start is after end", details={"field": "start"})
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidRequestError(f"a report covers at most {MAX_DAYS} days", details={"field": "start"})
    return start, end


def days_between(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def _line(row: UsageRow) -> UsageLine:
    values = {name: row.values.get(name, 0) for name in FIELDS}
    cost = values.pop("cost_nusd") / NANO
    return UsageLine(
        date=row.day,
        organization=row.organization,
        provider=row.provider,
        model=row.model,
        cost_usd=round(cost, 9),
        **values,
    )


def inert_cell(value: object) -> object:
    """A text cell a spreadsheet shows as text: a leading formula character gets a single quote before it.

    Organization and model names are chosen by callers and end up in a file an administrator opens;
    numbers are written as they are.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def to_csv(lines: list[UsageLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        data = line.model_dump()
        writer.writerow([inert_cell(data[c]) for c in CSV_COLUMNS])
    return out.getvalue()


async def build_report(ledger: UsageLedger, args: UsageReportArgs, organization: str | None) -> UsageReport:
    """Rows sorted by date, organization, provider and model, with totals (and CSV when asked)."""
    start, end = resolve_period(args)
    rows = await ledger.read(days_between(start, end), organization)
    if rows is None:
        raise ProviderUnavailableError(
            "usage store unavailable (Redis is down); try again shortly", status=503
        )
    lines = sorted((_line(r) for r in rows), key=lambda x: (x.date, x.organization, x.provider, x.model))
    totals = UsageTotals()
    for line in lines:
        for name in UsageTotals.model_fields:
            setattr(totals, name, getattr(totals, name) + getattr(line, name))
    totals.cost_usd = round(totals.cost_usd, 9)
    return UsageReport(
        organization_id=organization,
        start=start.isoformat(),
        end=end.isoformat(),
        rows=lines,
        totals=totals,
        csv=to_csv(lines) if args.format == "csv" else None,
    )

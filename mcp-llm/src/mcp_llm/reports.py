"""What ``usage_report`` and ``quality_report`` share: the period arguments and whose rows a caller sees,
reading a period's daily counters, totals, CSV a spreadsheet opens safely, and the ``GET`` download.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mcp_llm.state.daily_counters import Counts, DailyCounters
from mcp_shared.auth import ORGANIZATION_SCOPE_KEY
from mcp_shared.errors import InvalidRequestError, ProviderUnavailableError, ServiceError
from mcp_shared.identifiers import OrganizationId
from mcp_shared.server.http_app import error_response
from mcp_shared.server.tools import CallContext, ToolRegistry

Period = Literal["today", "yesterday", "this_month", "last_month", "last_7_days", "last_30_days"]
MAX_DAYS = 400
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""Characters that make a spreadsheet read a cell as a formula (OWASP's list for CSV injection)."""

T = TypeVar("T", bound=BaseModel)


class ReportAccess:
    """Decides whose rows a caller may read: with authentication on, its own organization's only,
    whatever it asks for, unless its key belongs to an admin organization."""

    def __init__(self, auth_enabled: bool, admins: frozenset[str]) -> None:
        self.auth_enabled = auth_enabled
        self.admins = admins

    def organization(self, requested: str | None, caller: str | None) -> str | None:
        """The organization to report on; None means every organization."""
        if caller is None or caller in self.admins:
            return requested  # trusted transport (stdio, auth off) or an admin key
        return caller


class PeriodArgs(BaseModel):
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
    def _one_way(self) -> Self:
        if self.period is not None and (self.start is not None or self.end is not None):
            raise ValueError("give either period or start/end, not both")
        return self


class PeriodReport(BaseModel):
    organization_id: str | None
    start: str
    end: str
    csv: str | None = None


def resolve_period(args: PeriodArgs, today: date | None = None) -> tuple[date, date]:
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


async def read_period(
    counters: DailyCounters, args: PeriodArgs, organization: str | None, what: str
) -> tuple[date, date, Counts]:
    """The period's first and last day and its rows; a 503 when the store cannot be read."""
    start, end = resolve_period(args)
    rows = await counters.read(days_between(start, end), organization)
    if rows is None:
        raise ProviderUnavailableError(
            f"{what} store unavailable (Redis is down); try again shortly", status=503
        )
    return start, end, rows


def totals(model: type[T], lines: Sequence[BaseModel]) -> T:
    """Each of ``model``'s fields summed over the lines (dollars rounded to the nano-dollar)."""
    result = model()
    for line in lines:
        for name in model.model_fields:
            setattr(result, name, getattr(result, name) + getattr(line, name))
    for name in model.model_fields:
        if isinstance(value := getattr(result, name), float):
            setattr(result, name, round(value, 9))
    return result


def inert_cell(value: object) -> object:
    """A text cell a spreadsheet shows as text: a leading formula character gets a single quote before it.

    Organization and model names are chosen by callers and end up in a file an administrator opens;
    numbers are written as they are, and a missing value as an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def to_csv(model: type[BaseModel], lines: Sequence[BaseModel]) -> str:
    """A header of ``model``'s fields, then a row per line."""
    columns = list(model.model_fields)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for line in lines:
        data = line.model_dump()
        writer.writerow([inert_cell(data[c]) for c in columns])
    return out.getvalue()


def report_route(tools: ToolRegistry, path: str, tool: str, filename: Callable[[PeriodReport], str]) -> Route:
    """``GET path?...&format=csv|json``: the tool's report, its CSV as a file download."""

    async def download(request: Request) -> Response:
        call = CallContext(transport="http", organization_id=request.scope.get(ORGANIZATION_SCOPE_KEY))
        spec = tools.get(tool)
        try:
            args = tools.parse_arguments(spec, dict(request.query_params))
            report = await tools.run(spec, args, call)
        except ServiceError as exc:
            return error_response(exc, call.request_id)
        assert isinstance(report, PeriodReport)
        if report.csv is not None:
            return Response(
                report.csv,
                media_type="text/csv; charset=utf-8",
                headers={
                    "Content-Disposition": f'attachment; filename="{filename(report)}"',
                    "X-Request-Id": call.request_id,
                },
            )
        return Response(
            report.model_dump_json(), media_type="application/json", headers={"X-Request-Id": call.request_id}
        )

    return Route(path, download, methods=["GET"])

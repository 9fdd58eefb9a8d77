"""Governance tools and routes: ``usage_report`` (also ``GET /usage``, CSV or JSON) and ``provider_health``.

With authentication on, a caller sees only its own organization's usage, whatever it asks for, unless
its key belongs to one of ``AUTH_ADMIN_ORGANIZATIONS``.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import BaseRoute

from mcp_llm.governance.core import Governance
from mcp_llm.governance.monitor import HealthReport
from mcp_llm.governance.usage_report import UsageReport, UsageReportArgs, build_report
from mcp_llm.providers.registry import ProviderRegistry
from mcp_llm.reports import PeriodReport, ReportAccess, report_route
from mcp_shared.identifiers import ProviderName
from mcp_shared.server.tools import CallContext, ToolRegistry, ToolSpec


class ProviderHealthArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: ProviderName | None = Field(default=None, description="Only this provider.")


def build_governance_tools(
    governance: Governance, providers: ProviderRegistry, access: ReportAccess
) -> list[ToolSpec[Any]]:
    async def usage_report(args: UsageReportArgs, call: CallContext) -> UsageReport:
        organization = access.organization(args.organization_id, call.organization_id)
        report = await build_report(governance.ledger, args, organization)
        if organization is not None:
            report.quotas = await governance.quotas.status(organization)
        return report

    async def provider_health(args: ProviderHealthArgs, call: CallContext) -> HealthReport:
        provider = providers.canonical(args.provider) if args.provider else None
        return await governance.monitor.report(provider)

    return [
        ToolSpec(
            "usage_report",
            "Usage per organization, provider, model and day over a period (today, this_month, start/end), "
            "with totals and current quota use; format=csv adds the rows as CSV for billing.",
            UsageReportArgs,
            usage_report,
            UsageReport,
            read_only=True,
        ),
        ToolSpec(
            "provider_health",
            "Health per provider and model: circuit state, rolling error rate, latency p50/p95, last probe.",
            ProviderHealthArgs,
            provider_health,
            HealthReport,
            read_only=True,
        ),
    ]


def usage_routes(tools: ToolRegistry) -> list[BaseRoute]:
    """``GET /usage?organization_id=&period=|start=&end=&format=csv|json``: a download for billing."""

    def filename(report: PeriodReport) -> str:
        organization = re.sub(r"[^A-Za-z0-9._-]", "_", report.organization_id or "all")
        return f"usage-{organization}-{report.start}-{report.end}.csv"

    return [report_route(tools, "/usage", "usage_report", filename)]

"""Governance tools and routes: ``usage_report`` (also ``GET /usage``, CSV or JSON) and ``provider_health``.

With authentication on, a caller sees only its own organization's usage, whatever it asks for, unless
its key belongs to one of ``AUTH_ADMIN_ORGANIZATIONS``.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mcp_llm.governance.core import Governance
from mcp_llm.governance.monitor import HealthReport
from mcp_llm.governance.usage_report import UsageReport, UsageReportArgs, build_report
from mcp_llm.providers.registry import ProviderRegistry
from mcp_shared.auth import ORGANIZATION_SCOPE_KEY
from mcp_shared.errors import ServiceError
from mcp_shared.identifiers import ProviderName
from mcp_shared.server.http_app import error_response
from mcp_shared.server.tools import CallContext, ToolRegistry, ToolSpec


class ProviderHealthArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: ProviderName | None = Field(default=None, description="Only this provider.")


class UsageAccess:
    """Decides whose usage a caller may read."""

    def __init__(self, auth_enabled: bool, admins: frozenset[str]) -> None:
        self.auth_enabled = auth_enabled
        self.admins = admins

    def organization(self, requested: str | None, caller: str | None) -> str | None:
        """The organization to report on; None means every organization."""
        if caller is None or caller in self.admins:
            return requested  # trusted transport (stdio, auth off) or an admin key
        return caller


def build_governance_tools(
    governance: Governance, providers: ProviderRegistry, access: UsageAccess
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

    async def usage(request: Request) -> Response:
        call = CallContext(transport="http", organization_id=request.scope.get(ORGANIZATION_SCOPE_KEY))
        spec = tools.get("usage_report")
        try:
            args = tools.parse_arguments(spec, dict(request.query_params))
            report = await tools.run(spec, args, call)
        except ServiceError as exc:
            return error_response(exc, call.request_id)
        assert isinstance(report, UsageReport)
        if report.csv is not None:
            organization = re.sub(r"[^A-Za-z0-9._-]", "_", report.organization_id or "all")
            name = f"usage-{organization}-{report.start}-{report.end}.csv"
            return Response(
                report.csv,
                media_type="text/csv; charset=utf-8",
                headers={
                    "Content-Disposition": f'attachment; filename="{name}"',
                    "X-Request-Id": call.request_id,
                },
            )
        return Response(
            report.model_dump_json(), media_type="application/json", headers={"X-Request-Id": call.request_id}
        )

    return [Route("/usage", usage, methods=["GET"])]

"""Who may see a debate: the organization that created it, and nobody else.

The caller's organization comes from its API key (``AUTH_ENABLED``); with authentication off, and over
stdio, every caller is the ``default`` organization. Every tool, resource and HTTP mirror that names a
debate is wrapped here, so the ownership check sits at the edge, once, before any handler runs; another
organization's debate then answers exactly like a debate that does not exist.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mcp_debate.orchestrator import Orchestrator
from mcp_shared.auth import OrganizationPolicy
from mcp_shared.server.resources import ResourceSpec
from mcp_shared.server.tools import CallContext, ToolSpec

_ORGANIZATIONS = OrganizationPolicy()
"""No service organizations: a key of mcp-debate always acts for its own organization."""


def caller_organization(authenticated: str | None) -> str:
    """The organization a call acts for: its key's, or ``default`` when nobody authenticated."""
    return _ORGANIZATIONS.acting_for(authenticated)


def owned_tool(spec: ToolSpec[Any], orc: Orchestrator) -> ToolSpec[Any]:
    """The tool, checking first that the caller owns the debate it names (tools naming none unchanged)."""
    if "debate_id" not in spec.arguments.model_fields:
        return spec
    inner = spec.handler

    async def handler(args: Any, call: CallContext) -> Any:
        await orc.check_access(args.debate_id, caller_organization(call.organization_id))
        return await inner(args, call)

    return replace(spec, handler=handler)


def owned_resource(spec: ResourceSpec, orc: Orchestrator) -> ResourceSpec:
    """The resource, checking first that the caller owns the debate its URI names (``{id}``)."""
    if "{id}" not in spec.uri_template:
        return spec
    inner = spec.handler

    async def handler(params: dict[str, str], call: CallContext) -> Any:
        await orc.check_access(params["id"], caller_organization(call.organization_id))
        return await inner(params, call)

    return replace(spec, handler=handler)

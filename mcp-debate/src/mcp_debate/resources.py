"""Resources of mcp-debate: ``debates://list`` and ``debates://{id}[/messages|/participants|/context]``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mcp_debate.access import caller_organization, owned_resource
from mcp_debate.domain.models import DebateId
from mcp_debate.orchestrator import Orchestrator
from mcp_shared.server.resources import ResourceSpec
from mcp_shared.server.tools import CallContext


class DebateParams(BaseModel):
    """``{id}`` in ``debates://{id}...``, checked like a tool's ``debate_id``."""

    id: DebateId


def build_resources(orc: Orchestrator) -> list[ResourceSpec]:
    """The resources; those naming a debate (``{id}``) check its owner first."""
    q = orc.queries

    async def debate_list(params: dict[str, str], call: CallContext) -> Any:
        return (await q.debates(caller_organization(call.organization_id))).model_dump(mode="json")

    async def debate(params: dict[str, str], call: CallContext) -> Any:
        return (await q.debate(params["id"])).model_dump(mode="json")

    async def messages(params: dict[str, str], call: CallContext) -> Any:
        return (await q.messages(params["id"])).model_dump(mode="json")

    async def participants(params: dict[str, str], call: CallContext) -> Any:
        return (await q.participants(params["id"])).model_dump(mode="json")

    async def context(params: dict[str, str], call: CallContext) -> Any:
        return (await q.context(params["id"])).model_dump(mode="json")

    specs = [
        ResourceSpec("debates://list", "debates", "Every debate, newest first, with its state.", debate_list),
        ResourceSpec(
            "debates://{id}",
            "debate",
            "One debate: state, participants, progress and ledger.",
            debate,
            params=DebateParams,
        ),
        ResourceSpec(
            "debates://{id}/messages",
            "messages",
            "The debate's messages in order.",
            messages,
            params=DebateParams,
        ),
        ResourceSpec(
            "debates://{id}/participants",
            "participants",
            "Participants in speaking order.",
            participants,
            params=DebateParams,
        ),
        ResourceSpec(
            "debates://{id}/context",
            "context",
            "Per participant: token budget, context summary, what its last turn was sent; "
            "and the next turn's context.",
            context,
            params=DebateParams,
        ),
    ]
    return [owned_resource(spec, orc) for spec in specs]

"""Resources of mcp-llm: providers, their models, and conversations."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mcp_llm.gateway.conversations import ConversationStore
from mcp_llm.gateway.model_listing import ModelLister
from mcp_llm.providers.registry import ProviderRegistry
from mcp_shared.identifiers import ConversationId, ProviderName
from mcp_shared.server.resources import ResourceSpec
from mcp_shared.server.tools import CallContext


class ProviderParams(BaseModel):
    provider: ProviderName


class ConversationParams(BaseModel):
    conversation_id: ConversationId


def build_resources(
    providers: ProviderRegistry, lister: ModelLister, conversations: ConversationStore
) -> list[ResourceSpec]:
    async def provider_list(params: dict[str, str], call: CallContext) -> Any:
        return {
            "providers": [
                {
                    "key": entry.key,
                    "title": entry.title,
                    "aliases": list(entry.aliases),
                    "configured": providers.is_configured(entry.key),
                    "healthy": lister.health_of.get(entry.key),
                    "credentials": entry.credentials,
                    "default_model": providers.default_model(entry.key) or None,
                }
                for entry in providers.entries.values()
            ]
        }

    async def provider_models(params: dict[str, str], call: CallContext) -> Any:
        listing = await lister.listing(params["provider"])
        return listing.model_dump(mode="json")

    async def conversation(params: dict[str, str], call: CallContext) -> Any:
        exchanges = await conversations.read(params["conversation_id"])
        if call.organization_id is not None:  # authenticated callers see only their organization's exchanges
            exchanges = [e for e in exchanges if e.organization_id == call.organization_id]
        return {
            "conversation_id": params["conversation_id"],
            "exchanges": [e.model_dump(mode="json") for e in exchanges],
        }

    return [
        ResourceSpec(
            "llm://providers", "providers", "Every provider: key, aliases, whether configured.", provider_list
        ),
        ResourceSpec(
            "llm://providers/{provider}/models",
            "provider-models",
            "One provider's models with windows and prices.",
            provider_models,
            params=ProviderParams,
        ),
        ResourceSpec(
            "llm://conversations/{conversation_id}",
            "conversation",
            "The exchanges sent with this conversation_id.",
            conversation,
            params=ConversationParams,
        ),
    ]

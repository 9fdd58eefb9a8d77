"""Resources of mcp-llm: providers, their models, and conversations."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mcp_llm.gateway.conversations import ConversationStore
from mcp_llm.providers.registry import ProviderRegistry
from mcp_llm.routing.model_listing import ModelLister
from mcp_shared.auth import OrganizationPolicy
from mcp_shared.identifiers import ConversationId, OrganizationId, ProviderName
from mcp_shared.server.resources import ResourceSpec
from mcp_shared.server.tools import CallContext


class ProviderParams(BaseModel):
    provider: ProviderName


class ConversationParams(BaseModel):
    conversation_id: ConversationId


class OrganizationConversationParams(ConversationParams):
    organization_id: OrganizationId


def build_resources(
    providers: ProviderRegistry,
    lister: ModelLister,
    conversations: ConversationStore,
    organizations: OrganizationPolicy,
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
        """The conversation of the organization the caller acts for (its own, for an ordinary key)."""
        organization = organizations.acting_for(call.organization_id, params.get("organization_id"))
        exchanges = await conversations.read(organization, params["conversation_id"])
        return {
            "conversation_id": params["conversation_id"],
            "organization_id": organization,
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
            "The exchanges your organization sent with this conversation_id.",
            conversation,
            params=ConversationParams,
        ),
        ResourceSpec(
            "llm://conversations/{organization_id}/{conversation_id}",
            "organization-conversation",
            "The exchanges an organization sent with this conversation_id (for callers that may act for "
            "other organizations: stdio, authentication off, service keys; others get their own).",
            conversation,
            params=OrganizationConversationParams,
        ),
    ]

"""The tools of mcp-llm: thin functions from validated arguments to the gateway's answers."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mcp_llm.batching import BATCH_DOC, BatchCompleteArgs, BatchCompleteResult, batch_complete
from mcp_llm.gateway.pipeline import Gateway
from mcp_llm.routing.model_listing import ModelLister, ModelListing
from mcp_llm.tokens import TokenCount, TokenCounter
from mcp_shared.errors import LLMProviderError, ProviderUnavailableError
from mcp_shared.identifiers import ModelName, OrganizationId, ProviderName
from mcp_shared.models import ChatMessage, CompletionRequest, CompletionResponse
from mcp_shared.server.tools import CallContext, ToolSpec

COMPLETE_DOC = (
    "Generate a completion from any configured LLM provider. Cached, retried, and answered by the first "
    "working hop of the optional fallback chain. Set stream=true (or use stream_complete) to stream."
)
logger = logging.getLogger(__name__)
VENDOR_COUNT_TIMEOUT = 3.0
"""Seconds a vendor's token counter gets before estimate_tokens answers with its own estimate."""

STREAM_DOC = (
    "Stream a completion: over MCP each text delta arrives as a progress notification whose message is "
    "the delta, and the tool returns the same final result as complete; over HTTP it answers "
    "text/event-stream with chunk events, then one done event (or an error event)."
)


class ListModelsArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: ProviderName | None = Field(default=None, description="Only this provider's models.")
    refresh: bool = Field(default=False, description="Fetch the vendors' live model lists again.")


class EstimateTokensArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: ModelName | None = Field(default=None, description="Model whose tokenizer to use.")
    provider: ProviderName | None = Field(
        default=None, description="Provider key; inferred from the model when omitted."
    )
    messages: list[ChatMessage] | None = Field(
        default=None, description="Chat messages to count (with framing)."
    )
    text: str | None = Field(default=None, description="Plain text to count.")

    @model_validator(mode="after")
    def _one_input(self) -> EstimateTokensArgs:
        if (self.messages is None) == (self.text is None):
            raise ValueError("give exactly one of 'messages' or 'text'")
        return self


class TokenEstimate(BaseModel):
    tokens: int
    method: Literal["exact", "provider_api", "estimate"]
    provider: str
    model: str
    encoding: str | None = None


class InvalidateCacheArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: ProviderName | None = Field(default=None, description="Only entries of this provider.")
    model: ModelName | None = Field(default=None, description="Only entries of this model.")
    organization_id: OrganizationId | None = Field(
        default=None,
        description="Only this organization's entries (forced to the caller's own on an ordinary key).",
    )


class InvalidateCacheResult(BaseModel):
    deleted: int
    backend: str


def build_tools(gateway: Gateway, lister: ModelLister, tokens: TokenCounter) -> list[ToolSpec[Any]]:
    """The tool specs, bound to this process's gateway."""

    async def complete(args: CompletionRequest, call: CallContext) -> CompletionResponse:
        if args.stream:
            return await gateway.stream(args, call)
        return await gateway.complete(args, call)

    async def stream_complete(args: CompletionRequest, call: CallContext) -> CompletionResponse:
        return await gateway.stream(args, call)

    async def batch(args: BatchCompleteArgs, call: CallContext) -> BatchCompleteResult:
        return await batch_complete(gateway, args, call)

    async def list_models(args: ListModelsArgs, call: CallContext) -> ModelListing:
        return await lister.listing(args.provider, args.refresh)

    async def estimate_tokens(args: EstimateTokensArgs, call: CallContext) -> TokenEstimate:
        target = gateway.resolver.resolve(args.provider, args.model)
        if args.messages is not None:
            counted = await _provider_count(gateway, target.provider, target.model, args.messages) or (
                tokens.count_messages(target.provider, target.model, args.messages)
            )
        else:
            counted = tokens.count_text(target.provider, target.model, args.text or "")
        return TokenEstimate(
            tokens=counted.tokens,
            method=counted.method,
            encoding=counted.encoding,
            provider=target.provider,
            model=target.model,
        )

    async def invalidate_cache(args: InvalidateCacheArgs, call: CallContext) -> InvalidateCacheResult:
        provider = gateway.providers.canonical(args.provider) if args.provider else None
        organization = (
            None  # a trusted caller (stdio, auth off) naming no organization clears everyone's entries
            if call.organization_id is None and args.organization_id is None
            else gateway.organizations.acting_for(call.organization_id, args.organization_id)
        )
        try:
            deleted = await gateway.cache.invalidate(provider, args.model, organization)
        except Exception as exc:
            raise ProviderUnavailableError(
                f"cache backend unavailable: {type(exc).__name__}", status=503
            ) from exc
        return InvalidateCacheResult(deleted=deleted, backend=gateway.cache.backend.name)

    return [
        ToolSpec(
            "complete",
            COMPLETE_DOC,
            CompletionRequest,
            complete,
            CompletionResponse,
            aliases=("generate",),
            streams=lambda a: a.stream,
        ),
        ToolSpec(
            "stream_complete",
            STREAM_DOC,
            CompletionRequest,
            stream_complete,
            CompletionResponse,
            aliases=("stream_generate",),
            streams=lambda a: True,
        ),
        ToolSpec("batch_complete", BATCH_DOC, BatchCompleteArgs, batch, BatchCompleteResult),
        ToolSpec(
            "list_models",
            "List models per provider with context window, max output, prices per "
            "million tokens and whether the provider is configured and healthy.",
            ListModelsArgs,
            list_models,
            ModelListing,
            read_only=True,
        ),
        ToolSpec(
            "estimate_tokens",
            "Count the tokens of messages or text for a model, offline. method says "
            "whether the count is exact, from the vendor's API, or an estimate.",
            EstimateTokensArgs,
            estimate_tokens,
            TokenEstimate,
            read_only=True,
        ),
        ToolSpec(
            "invalidate_cache",
            "Delete cached responses of a provider, a model and/or an organization.",
            InvalidateCacheArgs,
            invalidate_cache,
            InvalidateCacheResult,
        ),
    ]


async def _provider_count(
    gateway: Gateway, provider: str, model: str, messages: list[ChatMessage]
) -> TokenCount | None:
    """The vendor's own count where its adapter offers one and the provider is configured."""
    if not gateway.providers.is_configured(provider):
        return None
    try:
        async with asyncio.timeout(VENDOR_COUNT_TIMEOUT):
            return await gateway.providers.get(provider).count_tokens(model, messages)
    except LLMProviderError as exc:  # the vendor's counter is a refinement; offline counting still answers
        logger.info("vendor token count unavailable, estimating: %s", exc.message)
    except TimeoutError:
        logger.info("vendor token count too slow, estimating", extra={"provider": provider})
    return None

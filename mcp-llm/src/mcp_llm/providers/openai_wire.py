"""The OpenAI chat-completions wire format, through the official ``openai`` SDK.

One adapter serves every provider that speaks it; they differ only in configuration (base
URL, key, which max-tokens field the endpoint accepts, whether reasoning models drop sampling
parameters). See ``registry.py`` for the per-provider settings.

Requests go through the SDK's documented custom-request path (``client.post`` with a body), not
``chat.completions.create``: the body is built here from already-validated models, and skipping the
SDK's recursive TypedDict transform halves its per-call CPU cost. Authentication, status-error
classes, response parsing and SSE streaming are still the SDK's own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from mcp_llm.providers.base import LiveModel, LLMProvider, ProviderConfig, ProviderRequest, ProviderResponse
from mcp_llm.providers.openai_errors import VENDOR_ERRORS, map_openai_error
from mcp_llm.providers.prompt_cache import openai_cache_key
from mcp_shared.models import FinishReason, StreamChunk, Usage

_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
}

# OpenAI's reasoning models reject temperature/top_p other than their defaults.
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def normalise_finish_reason(reason: str | None) -> FinishReason:
    return _FINISH_REASONS.get(reason or "", "other")


def usage_from_openai(usage: Any) -> Usage | None:
    """Normalise the wire ``usage`` object (prompt/completion tokens and their details)."""
    if usage is None:
        return None
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    return Usage.of(
        usage.prompt_tokens or 0,
        usage.completion_tokens or 0,
        cache_read_tokens=getattr(prompt_details, "cached_tokens", None) or 0,
        reasoning_tokens=getattr(completion_details, "reasoning_tokens", None) or 0,
    )


class OpenAIChatProvider(LLMProvider):
    """Chat completions over the OpenAI wire format (OpenAI, Grok, Qwen, any compatible server)."""

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self._max_tokens_field = config.profile.max_tokens_field
        self._reasoning_aware = config.profile.reasoning_models
        self._client: openai.AsyncOpenAI | None = None

    @property
    def client(self) -> openai.AsyncOpenAI:
        """Created on first use, so an unconfigured provider never builds an HTTP pool."""
        if self._client is None:
            self._client = openai.AsyncOpenAI(
                api_key=self.config.secret() or "not-needed",
                base_url=self.config.base_url,
                organization=self.config.profile.organization,
                timeout=self.config.timeout,
                max_retries=0,  # the gateway retries, with its own policy
                http_client=openai.DefaultAsyncHttpx2Client(
                    limits=self.pool_limits(),
                    timeout=self.config.timeout,
                ),
            )
        return self._client

    def _arguments(self, request: ProviderRequest) -> dict[str, Any]:
        params = request.params
        args: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            self._max_tokens_field: params.max_tokens,
        }
        if not (self._reasoning_aware and request.model.startswith(_REASONING_PREFIXES)):
            args["temperature"] = params.temperature
            if params.top_p is not None:
                args["top_p"] = params.top_p
        if params.stop:
            args["stop"] = params.stop
        if request.prompt_cache and self.config.profile.prompt_cache_key:
            key = openai_cache_key(request.messages)
            if key is not None:
                args["prompt_cache_key"] = key
        return args

    async def complete(self, request: ProviderRequest) -> ProviderResponse:
        try:
            completion = await self.client.post(
                "/chat/completions", body=self._arguments(request), cast_to=ChatCompletion
            )
        except VENDOR_ERRORS as exc:
            raise map_openai_error(exc, self.key, request.model) from exc
        if not completion.choices:
            raise self.unfinished(request.model, "returned no choices")
        choice = completion.choices[0]
        usage = usage_from_openai(completion.usage) or Usage()
        return ProviderResponse(
            content=choice.message.content or "",
            finish_reason=normalise_finish_reason(choice.finish_reason),
            usage=usage,
            model=completion.model or request.model,
        )

    async def stream(self, request: ProviderRequest) -> AsyncIterator[StreamChunk]:
        finish: FinishReason | None = None
        usage: Usage | None = None
        try:
            body = {**self._arguments(request), "stream": True, "stream_options": {"include_usage": True}}
            stream = await self.client.post(
                "/chat/completions",
                body=body,
                cast_to=ChatCompletion,
                stream=True,
                stream_cls=openai.AsyncStream[ChatCompletionChunk],
            )
            async with stream:
                async for chunk in stream:
                    if chunk.usage is not None:
                        usage = usage_from_openai(chunk.usage)
                    for choice in chunk.choices[:1]:
                        if choice.delta is not None and choice.delta.content:
                            yield StreamChunk(content=choice.delta.content)
                        if choice.finish_reason is not None:
                            finish = normalise_finish_reason(choice.finish_reason)
        except VENDOR_ERRORS as exc:
            raise map_openai_error(exc, self.key, request.model) from exc
        if finish is None:
            raise self.unfinished(request.model, "stream ended before the model finished its answer")
        yield StreamChunk(finish_reason=finish, usage=usage)

    async def list_live_models(self) -> list[LiveModel] | None:
        try:
            page = await self.client.models.list()
        except VENDOR_ERRORS as exc:
            raise map_openai_error(exc, self.key, "*") from exc
        return [LiveModel(id=m.id) for m in page.data]

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

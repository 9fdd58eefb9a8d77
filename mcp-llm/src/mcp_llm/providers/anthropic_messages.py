"""Claude through Anthropic's Messages API, with the official ``anthropic`` SDK.

Mapping: system messages go to the ``system`` parameter, consecutive turns of one role are merged
(the API wants them alternating) and ``stop`` becomes ``stop_sequences``. ``temperature`` and
``top_p`` are not sent: from API version 2026-10-21 (the one the SDK speaks) the Messages API
rejects every sampling parameter, and the SDK no longer accepts them. Usage is normalised with
Anthropic's cache tokens folded into the input count (Anthropic reports ``input_tokens`` without
them), as every other adapter reports it. A stream must end with ``message_stop``: one that stops
earlier is an error, not a short answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic

from mcp_llm.providers.anthropic_errors import VENDOR_ERRORS, map_anthropic_error
from mcp_llm.providers.base import LiveModel, LLMProvider, ProviderConfig, ProviderRequest, ProviderResponse
from mcp_llm.providers.prompt_cache import anthropic_cached_arguments
from mcp_llm.providers.turns import split_chat
from mcp_llm.tokens import TokenCount
from mcp_shared.models import ChatMessage, FinishReason, StreamChunk, Usage

_FINISH_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def normalise_finish_reason(reason: str | None) -> FinishReason:
    return _FINISH_REASONS.get(reason or "", "other")


_USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


def usage_from_anthropic(*reports: Any) -> Usage:
    """Gateway usage from Anthropic ``usage`` objects, later reports winning field by field.

    Cache reads and writes count as input (Anthropic's ``input_tokens`` leaves them out). A stream
    reports twice: ``message_start`` carries the input, ``message_delta`` the cumulative rest.
    """
    counts = dict.fromkeys(_USAGE_FIELDS, 0)
    thinking = 0
    for report in reports:
        if report is None:
            continue
        for name in _USAGE_FIELDS:
            value = getattr(report, name, None)
            if value is not None:
                counts[name] = value
        details = getattr(report, "output_tokens_details", None)
        thinking = getattr(details, "thinking_tokens", None) or thinking
    cache_read, cache_write = counts["cache_read_input_tokens"], counts["cache_creation_input_tokens"]
    return Usage.of(
        counts["input_tokens"] + cache_read + cache_write,
        counts["output_tokens"],
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=thinking,
    )


def chat_arguments(messages: tuple[ChatMessage, ...] | list[ChatMessage]) -> dict[str, Any]:
    """``system`` and ``messages`` as the Messages API takes them."""
    chat = split_chat(messages)
    args: dict[str, Any] = {"messages": [{"role": t.role, "content": t.text} for t in chat.turns]}
    if chat.system:
        args["system"] = chat.system
    return args


class AnthropicProvider(LLMProvider):
    """Claude models over the Messages API (or any server that speaks it, such as llama.cpp)."""

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self._client: anthropic.AsyncAnthropic | None = None

    @property
    def client(self) -> anthropic.AsyncAnthropic:
        """Created on first use, so an unconfigured provider never builds an HTTP pool."""
        if self._client is None:
            self._client = anthropic.AsyncAnthropic(
                api_key=self.config.secret() or "not-needed",
                base_url=self.config.base_url,
                timeout=self.config.timeout,
                max_retries=0,  # the gateway retries, with its own policy
                http_client=anthropic.DefaultAsyncHttpxClient(
                    limits=self.pool_limits(),
                    timeout=self.config.timeout,
                ),
            )
        return self._client

    def _arguments(self, request: ProviderRequest) -> dict[str, Any]:
        params = request.params
        args: dict[str, Any] = {
            "model": request.model,
            "max_tokens": params.max_tokens,
        }
        cached = anthropic_cached_arguments(request.messages, request.model) if request.prompt_cache else None
        args.update(cached or chat_arguments(request.messages))
        if params.stop:
            args["stop_sequences"] = params.stop
        schema = params.response_format.schema_dict() if params.response_format else None
        if schema is not None:  # structured outputs; Claude has no schema-less JSON mode
            args["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
        return args

    def request_params(self, request: ProviderRequest) -> dict[str, Any]:
        """The Messages API parameters of a request (a Message Batch request's ``params``)."""
        return self._arguments(request)

    async def complete(self, request: ProviderRequest) -> ProviderResponse:
        try:
            message = await self.client.messages.create(**self._arguments(request))
        except VENDOR_ERRORS as exc:
            raise map_anthropic_error(exc, self.key, request.model) from exc
        text = "".join(block.text for block in message.content if block.type == "text")
        return ProviderResponse(
            content=text,
            finish_reason=normalise_finish_reason(message.stop_reason),
            usage=usage_from_anthropic(message.usage),
            model=message.model or request.model,
        )

    async def stream(self, request: ProviderRequest) -> AsyncIterator[StreamChunk]:
        start_usage: Any = None
        final_usage: Any = None
        stop_reason: str | None = None
        stopped = False
        try:
            stream = await self.client.messages.create(**self._arguments(request), stream=True)
            async with stream:
                async for event in stream:
                    if event.type == "message_start":
                        start_usage = event.message.usage
                    elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                        if event.delta.text:
                            yield StreamChunk(content=event.delta.text)
                    elif event.type == "message_delta":
                        stop_reason = event.delta.stop_reason or stop_reason
                        final_usage = event.usage
                    elif event.type == "message_stop":
                        stopped = True
        except VENDOR_ERRORS as exc:
            raise map_anthropic_error(exc, self.key, request.model) from exc
        if not stopped:
            raise self.unfinished(request.model, "stream ended before message_stop")
        usage = usage_from_anthropic(start_usage, final_usage) if start_usage or final_usage else None
        yield StreamChunk(finish_reason=normalise_finish_reason(stop_reason), usage=usage)

    async def count_tokens(self, model: str, messages: list[ChatMessage]) -> TokenCount | None:
        """Anthropic's own count, from ``POST /v1/messages/count_tokens``."""
        try:
            counted = await self.client.messages.count_tokens(model=model, **chat_arguments(messages))
        except VENDOR_ERRORS as exc:
            raise map_anthropic_error(exc, self.key, model) from exc
        return TokenCount(counted.input_tokens, "provider_api")

    async def list_live_models(self) -> list[LiveModel] | None:
        try:
            return [
                LiveModel(
                    id=m.id,
                    context_window=getattr(m, "max_input_tokens", None),
                    max_output=getattr(m, "max_tokens", None),
                )
                async for m in self.client.models.list(limit=1000)  # the SDK follows every page
            ]
        except VENDOR_ERRORS as exc:
            raise map_anthropic_error(exc, self.key, "*") from exc

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

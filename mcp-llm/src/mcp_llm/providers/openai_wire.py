"""The OpenAI chat-completions wire format, through the official ``openai`` SDK.

One adapter serves every provider that speaks it; they differ only in configuration (base
URL, key, which max-tokens field the endpoint accepts, whether reasoning models drop sampling
parameters). See ``registry.py`` for the per-provider settings.

Completions take a lean hand-off: the body is built here from already-validated models, sent on a
pooled aiohttp session (``openai_http``), and the answer read as plain JSON (each stream event as one
``json.loads``), because the SDK's request options, typed response models and per-chunk objects, and
then its httpx transport, were most of the gateway's CPU per call and add nothing a chat completion
needs. Errors stay the SDK's: a non-2xx answer becomes the exception the SDK itself would raise
(``_make_status_error_from_response``), transport failures its ``APITimeoutError``/``APIConnectionError``,
an error event in a stream its ``APIError``, so ``openai_errors`` maps them exactly as before. Model
listing still goes through the SDK.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp
import httpx2
import openai

from mcp_llm.providers.base import LiveModel, LLMProvider, ProviderConfig, ProviderRequest, ProviderResponse
from mcp_llm.providers.openai_errors import VENDOR_ERRORS, map_openai_error
from mcp_llm.providers.openai_http import TRANSPORT_ERRORS, WireSession, sdk_transport_error
from mcp_llm.providers.prompt_cache import openai_cache_key
from mcp_llm.providers.served_window import from_model_entry, from_props, server_root
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
    if not isinstance(usage, dict):
        return None
    prompt_details = usage.get("prompt_tokens_details") or {}
    completion_details = usage.get("completion_tokens_details") or {}
    return Usage.of(
        usage.get("prompt_tokens") or 0,
        usage.get("completion_tokens") or 0,
        cache_read_tokens=prompt_details.get("cached_tokens") or 0,
        reasoning_tokens=completion_details.get("reasoning_tokens") or 0,
    )


def _stream_error(data: Any, request: Callable[[], httpx2.Request]) -> openai.APIError | None:
    """An ``{"error": ...}`` event mid-stream, as the SDK's stream reader raises it (the request it
    carries is built only then)."""
    if not isinstance(data, dict) or not data.get("error"):
        return None
    error = data["error"]
    message = error.get("message") if isinstance(error, dict) else None
    if not message or not isinstance(message, str):
        message = "An error occurred during streaming"
    return openai.APIError(message=message, request=request(), body=error)


async def _sse_data(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """The ``data:`` payloads of a server-sent event stream, split on bytes (no text decoding per line)."""
    pending = b""
    async for block in response.content.iter_any():
        pending += block
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.startswith(b"data:"):
                yield line[5:].strip()
    if pending.startswith(b"data:"):
        yield pending[5:].strip()


class OpenAIChatProvider(LLMProvider):
    """Chat completions over the OpenAI wire format (OpenAI, Grok, Qwen, any compatible server)."""

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self._max_tokens_field = config.profile.max_tokens_field
        self._reasoning_aware = config.profile.reasoning_models
        self._served_windows = config.profile.served_windows
        self._client: openai.AsyncOpenAI | None = None
        self._wire: WireSession | None = None

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
        if params.response_format is not None and params.response_format.wants_json():
            args["response_format"] = params.response_format.wire()
        if request.prompt_cache and self.config.profile.prompt_cache_key:
            key = openai_cache_key(request.messages)
            if key is not None:
                args["prompt_cache_key"] = key
        return args

    def request_body(self, request: ProviderRequest) -> dict[str, Any]:
        """The chat-completions body of a request (a batch file line's ``body``)."""
        return self._arguments(request)

    @property
    def wire(self) -> WireSession:
        """Where completions are POSTed, with what the SDK would send that the endpoint needs: the bearer
        key and the organization, if any."""
        if self._wire is None:
            client = self.client
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            headers.update({k: v for k, v in client.auth_headers.items() if v})
            if client.organization:
                headers["OpenAI-Organization"] = client.organization
            url = f"{str(client.base_url).rstrip('/')}/chat/completions"
            self._wire = WireSession(url, headers, self.config.timeout, self.config.max_connections)
        return self._wire

    def _post(self, body: dict[str, Any]) -> AbstractAsyncContextManager[aiohttp.ClientResponse]:
        """POST ``/chat/completions``; the SDK's exception for any failure."""
        return self.wire.post(json.dumps(body).encode(), self.client)

    async def complete(self, request: ProviderRequest) -> ProviderResponse:
        try:
            async with self._post(self._arguments(request)) as response:
                try:
                    raw = await response.read()
                except TRANSPORT_ERRORS as exc:
                    raise sdk_transport_error(exc, self.wire.sdk_request()) from exc
                completion = json.loads(raw)
        except VENDOR_ERRORS as exc:
            raise map_openai_error(exc, self.key, request.model) from exc
        except ValueError as exc:  # not JSON: what an SDK model could not have been built from either
            raise self.unfinished(request.model, f"answered with a body that is not JSON: {exc}") from exc
        choices = completion.get("choices") if isinstance(completion, dict) else None
        if not choices:
            raise self.unfinished(request.model, "returned no choices")
        choice = choices[0]
        usage = usage_from_openai(completion.get("usage")) or Usage()
        return ProviderResponse(
            content=(choice.get("message") or {}).get("content") or "",
            finish_reason=normalise_finish_reason(choice.get("finish_reason")),
            usage=usage,
            model=completion.get("model") or request.model,
        )

    async def stream(self, request: ProviderRequest) -> AsyncIterator[StreamChunk]:
        finish: FinishReason | None = None
        usage: Usage | None = None
        try:
            body = {**self._arguments(request), "stream": True, "stream_options": {"include_usage": True}}
            async with self._post(body) as response:
                try:
                    done = False
                    async for data in _sse_data(response):
                        # After [DONE] the rest of the body is read and dropped, as the SDK does on
                        # HTTP/1.1: a response closed unread closes its connection instead of
                        # returning it to the pool (a new connection, and cyclic garbage, per stream).
                        if done or data.startswith(b"[DONE]"):
                            done = True
                            continue
                        chunk = json.loads(data)
                        error = _stream_error(chunk, self.wire.sdk_request)
                        if error is not None:
                            raise error
                        if chunk.get("usage") is not None:
                            usage = usage_from_openai(chunk["usage"])
                        for choice in (chunk.get("choices") or [])[:1]:
                            content = (choice.get("delta") or {}).get("content")
                            if content:
                                yield StreamChunk(content=content)
                            if choice.get("finish_reason") is not None:
                                finish = normalise_finish_reason(choice["finish_reason"])
                except TRANSPORT_ERRORS as exc:
                    raise sdk_transport_error(exc, self.wire.sdk_request()) from exc
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
        if not self._served_windows:
            return [LiveModel(id=m.id) for m in page.data]
        windows = {m.id: from_model_entry(m.model_dump()) for m in page.data}
        if None in windows.values() and (props := await self._props_window()) is not None:
            windows = {k: v or props for k, v in windows.items()}  # llama.cpp serves one model
        return [LiveModel(id=m.id, context_window=windows[m.id]) for m in page.data]

    async def _props_window(self) -> int | None:
        """llama.cpp's ``/props`` window; None from any server that does not have one."""
        if not self.config.base_url:
            return None
        try:
            props = await self.client.get(f"{server_root(self.config.base_url)}/props", cast_to=object)
            return from_props(props)
        except (*VENDOR_ERRORS, ValueError):
            return None

    async def aclose(self) -> None:
        if self._wire is not None:
            await self._wire.aclose()
            self._wire = None
        if self._client is not None:
            await self._client.close()
            self._client = None

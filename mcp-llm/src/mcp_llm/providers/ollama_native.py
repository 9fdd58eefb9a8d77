"""Local models through Ollama's native API (``/api/chat``, ``/api/tags``, ``/api/show``) over httpx2.

Parameters go in ``options`` (``num_predict`` is the max-tokens field). Every chat is sent with
``"truncate": false``: by default Ollama silently drops the front of a prompt that does not fit
its window, which would cut system prompts without anyone knowing; this way an oversized prompt
is a ``context_length_exceeded`` error. A stream is NDJSON and ends with a ``"done": true`` line;
one that ends without it was cut. A model that is not pulled is ``model_not_found`` with the
command that pulls it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2

from mcp_llm.providers.base import LiveModel, LLMProvider, ProviderConfig, ProviderRequest, ProviderResponse
from mcp_llm.providers.ollama_errors import (
    VENDOR_ERRORS,
    error_from_status,
    error_in_stream,
    map_ollama_error,
)
from mcp_shared.errors import LLMProviderError
from mcp_shared.models import FinishReason, StreamChunk, Usage

LIVE_LIST_TTL = 30.0

_FINISH_REASONS: dict[str, FinishReason] = {"stop": "stop", "length": "length"}


def normalise_finish_reason(reason: str | None) -> FinishReason:
    """Ollama omitted ``done_reason`` before 0.3; a finished answer without one stopped normally."""
    if reason is None:
        return "stop"
    return _FINISH_REASONS.get(reason, "other")


def usage_from_ollama(final: dict[str, Any]) -> Usage:
    return Usage.of(int(final.get("prompt_eval_count") or 0), int(final.get("eval_count") or 0))


def context_length(show: dict[str, Any]) -> int | None:
    """``<architecture>.context_length`` from ``/api/show``'s ``model_info``."""
    info = show.get("model_info")
    if not isinstance(info, dict):
        return None
    value = info.get(f"{info.get('general.architecture')}.context_length")
    if not isinstance(value, int):
        value = next(
            (v for k, v in info.items() if k.endswith(".context_length") and isinstance(v, int)), None
        )
    return value


class OllamaProvider(LLMProvider):
    """Chat with models served by an Ollama server."""

    live_models_ttl = LIVE_LIST_TTL

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.endpoint = (config.base_url or "").rstrip("/")
        self._num_ctx = config.profile.num_ctx
        self._keep_alive = config.profile.keep_alive
        self._client: httpx2.AsyncClient | None = None
        self._windows: dict[str, int | None] = {}

    @property
    def client(self) -> httpx2.AsyncClient:
        if self._client is None:
            self._client = httpx2.AsyncClient(
                base_url=self.endpoint,
                timeout=self.config.timeout,
                limits=self.pool_limits(),
            )
        return self._client

    def _body(self, request: ProviderRequest, stream: bool) -> dict[str, Any]:
        params = request.params
        options: dict[str, Any] = {"num_predict": params.max_tokens, "temperature": params.temperature}
        if params.top_p is not None:
            options["top_p"] = params.top_p
        if params.stop:
            options["stop"] = params.stop
        if self._num_ctx:
            options["num_ctx"] = self._num_ctx
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": stream,
            "truncate": False,
            "options": options,
        }
        if self._keep_alive:
            body["keep_alive"] = self._keep_alive
        wanted = params.response_format
        if wanted is not None and wanted.wants_json():
            body["format"] = wanted.schema_dict() or "json"  # Ollama's structured outputs
        return body

    def _failure(self, exc: BaseException, model: str) -> LLMProviderError:
        return map_ollama_error(exc, self.key, model, self.endpoint)

    async def complete(self, request: ProviderRequest) -> ProviderResponse:
        try:
            response = await self.client.post("/api/chat", json=self._body(request, stream=False))
            if response.status_code >= 400:
                raise error_from_status(
                    self.key, request.model, response.status_code, response.text, response.headers
                )
            answer = response.json()
        except VENDOR_ERRORS as exc:
            raise self._failure(exc, request.model) from exc
        if not isinstance(answer, dict) or not answer.get("done"):
            message = answer.get("error") if isinstance(answer, dict) else None
            if isinstance(message, str):
                raise error_in_stream(self.key, request.model, message)
            raise self.unfinished(request.model, "answered without finishing")
        return ProviderResponse(
            content=str((answer.get("message") or {}).get("content") or ""),
            finish_reason=normalise_finish_reason(answer.get("done_reason")),
            usage=usage_from_ollama(answer),
            model=str(answer.get("model") or request.model),
        )

    async def stream(self, request: ProviderRequest) -> AsyncIterator[StreamChunk]:
        final: dict[str, Any] | None = None
        try:
            async with self.client.stream(
                "POST", "/api/chat", json=self._body(request, stream=True)
            ) as response:
                if response.status_code >= 400:
                    body = (await response.aread()).decode(errors="replace")
                    raise error_from_status(
                        self.key, request.model, response.status_code, body, response.headers
                    )
                async for line in response.aiter_lines():
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    if "error" in event:
                        raise error_in_stream(self.key, request.model, str(event["error"]))
                    text = (event.get("message") or {}).get("content")
                    if text:
                        yield StreamChunk(content=text)
                    if event.get("done"):
                        final = event
                        break
        except VENDOR_ERRORS as exc:
            raise self._failure(exc, request.model) from exc
        if final is None:
            raise self.unfinished(request.model, "stream ended before its final (done) line")
        yield StreamChunk(
            finish_reason=normalise_finish_reason(final.get("done_reason")), usage=usage_from_ollama(final)
        )

    async def list_live_models(self) -> list[LiveModel] | None:
        """The pulled models (``/api/tags``), each with its window from ``/api/show``."""
        try:
            response = await self.client.get("/api/tags")
            if response.status_code >= 400:
                raise error_from_status(self.key, "*", response.status_code, response.text, response.headers)
            names = [str(m.get("name") or m.get("model")) for m in response.json().get("models") or []]
            windows = await asyncio.gather(*(self._window(name) for name in names))
        except VENDOR_ERRORS as exc:
            raise self._failure(exc, "*") from exc
        return [
            LiveModel(id=name, context_window=window) for name, window in zip(names, windows, strict=True)
        ]

    async def _window(self, name: str) -> int | None:
        """A model's context length, asked once per model (a tag's facts do not change)."""
        if name in self._windows:
            return self._windows[name]
        response = await self.client.post("/api/show", json={"model": name})
        if response.status_code != 200:
            return None  # not remembered: the next listing asks again
        self._windows[name] = context_length(response.json())
        return self._windows[name]

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

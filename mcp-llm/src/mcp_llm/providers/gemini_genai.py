"""Gemini through the official ``google-genai`` SDK (the Gemini Developer API).

Mapping: system messages become ``system_instruction``, ``assistant`` turns become ``model`` turns
and consecutive turns of one role are merged. A safety block is reported as the finish reason
``content_filter`` (whether the prompt or the answer was blocked), never as an empty success.
Gemini's stream has no terminating sentinel: its last chunk carries ``finishReason``, so a stream
that ends without one was cut. Thinking tokens count as output, as Google bills them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
from google import genai
from google.genai import types

from mcp_llm.providers.base import LiveModel, LLMProvider, ProviderConfig, ProviderRequest, ProviderResponse
from mcp_llm.providers.gemini_errors import VENDOR_ERRORS, map_gemini_error
from mcp_llm.providers.turns import split_chat
from mcp_llm.tokens import TokenCount
from mcp_shared.models import ChatMessage, FinishReason, StreamChunk, Usage

_ROLES = {"user": "user", "assistant": "model"}
_FILTERED = {
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
    "MODEL_ARMOR",
    "LANGUAGE",
}
_FINISH_REASONS: dict[str, FinishReason] = {"STOP": "stop", "MAX_TOKENS": "length"}
_FINISH_REASONS.update(dict.fromkeys(_FILTERED, "content_filter"))
_FINISH_REASONS.update(dict.fromkeys(("UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS"), "tool_calls"))


def normalise_finish_reason(reason: Any) -> FinishReason:
    name = getattr(reason, "value", reason)
    return _FINISH_REASONS.get(str(name or ""), "other")


def usage_from_gemini(meta: Any) -> Usage | None:
    """Gateway usage from ``usageMetadata`` (the prompt count already includes cached tokens)."""
    if meta is None:
        return None
    thoughts = meta.thoughts_token_count or 0
    prompt = (meta.prompt_token_count or 0) + (meta.tool_use_prompt_token_count or 0)
    return Usage.of(
        prompt,
        (meta.candidates_token_count or 0) + thoughts,
        cache_read_tokens=meta.cached_content_token_count or 0,
        reasoning_tokens=thoughts,
    )


def _contents(
    messages: tuple[ChatMessage, ...] | list[ChatMessage],
) -> tuple[str | None, list[types.Content]]:
    chat = split_chat(messages)
    contents = [types.Content(role=_ROLES[t.role], parts=[types.Part(text=t.text)]) for t in chat.turns]
    return chat.system, contents


def _answer_text(response: types.GenerateContentResponse) -> str:
    """The visible text of the first candidate (thought summaries left out)."""
    if not response.candidates or response.candidates[0].content is None:
        return ""
    parts = response.candidates[0].content.parts or []
    return "".join(p.text for p in parts if p.text and not p.thought)


def _finish(response: types.GenerateContentResponse) -> FinishReason | None:
    """The finish reason a response states, or None when it states none (a mid-stream chunk)."""
    if response.prompt_feedback is not None and response.prompt_feedback.block_reason is not None:
        return "content_filter"
    if response.candidates and response.candidates[0].finish_reason is not None:
        return normalise_finish_reason(response.candidates[0].finish_reason)
    return None


class GeminiProvider(LLMProvider):
    """Gemini models over the Gemini Developer API."""

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self._client: genai.Client | None = None
        self._http: httpx2.AsyncClient | None = None

    @property
    def client(self) -> genai.Client:
        """Created on first use; our own pool and timeout, and no SDK retries (the gateway retries)."""
        if self._client is None:
            self._http = httpx2.AsyncClient(
                limits=self.pool_limits(),
                timeout=self.config.timeout,
            )
            self._client = genai.Client(
                vertexai=False,  # the Gemini Developer API, whatever GOOGLE_GENAI_USE_VERTEXAI says
                api_key=self.config.secret(),
                http_options=types.HttpOptions(
                    base_url=self.config.base_url,
                    timeout=int(self.config.timeout * 1000),
                    httpx_async_client=self._http,
                ),
            )
        return self._client

    def _request(self, request: ProviderRequest) -> dict[str, Any]:
        system, contents = _contents(request.messages)
        params = request.params
        config = types.GenerateContentConfig(
            system_instruction=system,
            max_output_tokens=params.max_tokens,
            temperature=params.temperature,
            top_p=params.top_p,
            stop_sequences=params.stop,
        )
        wanted = params.response_format
        if wanted is not None and wanted.wants_json():
            config.response_mime_type = "application/json"
            config.response_json_schema = wanted.schema_dict()
        return {"model": request.model, "contents": contents, "config": config}

    def request_parts(self, request: ProviderRequest) -> dict[str, Any]:
        """``model``, ``contents`` and ``config`` of a request (a batch job's inlined request)."""
        return self._request(request)

    async def complete(self, request: ProviderRequest) -> ProviderResponse:
        try:
            response = await self.client.aio.models.generate_content(**self._request(request))
        except VENDOR_ERRORS as exc:
            raise map_gemini_error(exc, self.key, request.model) from exc
        finish = _finish(response)
        if finish is None:
            raise self.unfinished(request.model, "answered without a candidate or a finish reason")
        return ProviderResponse(
            content=_answer_text(response),
            finish_reason=finish,
            usage=usage_from_gemini(response.usage_metadata) or Usage(),
            model=response.model_version or request.model,
        )

    async def stream(self, request: ProviderRequest) -> AsyncIterator[StreamChunk]:
        finish: FinishReason | None = None
        usage: Usage | None = None
        try:
            chunks = await self.client.aio.models.generate_content_stream(**self._request(request))
            async for chunk in chunks:
                text = _answer_text(chunk)
                if text:
                    yield StreamChunk(content=text)
                finish = _finish(chunk) or finish
                usage = usage_from_gemini(chunk.usage_metadata) or usage
        except VENDOR_ERRORS as exc:
            raise map_gemini_error(exc, self.key, request.model) from exc
        if finish is None:
            raise self.unfinished(request.model, "stream ended before the model finished its answer")
        yield StreamChunk(finish_reason=finish, usage=usage)

    async def count_tokens(self, model: str, messages: list[ChatMessage]) -> TokenCount | None:
        """Gemini's own count, from ``models.countTokens``.

        The Developer API's countTokens takes no system instruction, so the system text is
        counted as a leading user turn: the same tokens, framed slightly differently.
        """
        system, contents = _contents(messages)
        if system:
            contents.insert(0, types.Content(role="user", parts=[types.Part(text=system)]))
        try:
            counted = await self.client.aio.models.count_tokens(model=model, contents=contents)
        except VENDOR_ERRORS as exc:
            raise map_gemini_error(exc, self.key, model) from exc
        return TokenCount(counted.total_tokens or 0, "provider_api")

    async def list_live_models(self) -> list[LiveModel] | None:
        found: list[LiveModel] = []
        try:
            async for model in await self.client.aio.models.list(config={"page_size": 1000}):
                actions = model.supported_actions or []
                if actions and "generateContent" not in actions:
                    continue  # embedding, TTS-only and similar models cannot answer a chat
                found.append(
                    LiveModel(
                        id=(model.name or "").removeprefix("models/"),
                        context_window=model.input_token_limit,
                        max_output=model.output_token_limit,
                    )
                )
        except VENDOR_ERRORS as exc:
            raise map_gemini_error(exc, self.key, "*") from exc
        return found

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aio.aclose()
            self._client = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def answer_of(response: types.GenerateContentResponse) -> tuple[str, FinishReason | None]:
    """The visible text and finish reason of a whole response (a batch job's inlined response)."""
    return _answer_text(response), _finish(response)

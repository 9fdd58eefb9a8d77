"""The OpenAI chat-completions request as clients send it, and its translation to the gateway's request.

Parameters the gateway cannot honour are refused by name rather than silently dropped (a caller asking
for tool calls must not get plain text back as if it had worked); harmless bookkeeping fields are ignored.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mcp_shared.errors import InvalidRequestError
from mcp_shared.identifiers import ConversationId, EpisodeId, ModelName
from mcp_shared.models import (
    MAX_FALLBACKS,
    ChatMessage,
    CompletionRequest,
    CompressOptions,
    MaxTokens,
    ModelRef,
    Priority,
    Temperature,
    TopP,
    compress_shorthand,
)

MAX_CHOICES = 128
"""OpenAI's own bound on ``n``; anything but 1 is refused by name below."""

# Output-affecting OpenAI parameters this gateway does not implement: refused unless null or default.
UNSUPPORTED = {
    "tools": None,
    "tool_choice": None,
    "functions": None,
    "function_call": None,
    "logprobs": False,
    "top_logprobs": None,
    "logit_bias": None,
    "seed": None,
    "frequency_penalty": 0,
    "presence_penalty": 0,
    "audio": None,
    "modalities": None,
    "prediction": None,
    "web_search_options": None,
}


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class OpenAIMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] | None = None

    def as_chat_message(self) -> ChatMessage:
        text = self.content if isinstance(self.content, str) else "".join(p.text for p in self.content or [])
        return ChatMessage(role="system" if self.role == "developer" else self.role, content=text)


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class ChatCompletionsRequest(BaseModel):
    """``POST /v1/chat/completions``; gateway extras (``fallbacks``, ``cache``…) ride in ``extra_body``."""

    model_config = ConfigDict(extra="allow")

    model: ModelName
    messages: list[OpenAIMessage] = Field(min_length=1)
    max_tokens: MaxTokens | None = None
    max_completion_tokens: MaxTokens | None = None
    temperature: Temperature | None = None
    top_p: TopP | None = None
    stop: str | list[str] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int | None = Field(default=None, ge=1, le=MAX_CHOICES)
    response_format: dict[str, Any] | None = None
    fallbacks: list[ModelRef] = Field(default_factory=list, max_length=MAX_FALLBACKS)
    cache: bool = True
    prompt_cache: bool = True
    compress: CompressOptions | None = None
    conversation_id: ConversationId | None = None
    priority: Priority = 0
    episode_id: EpisodeId | None = None

    _compress_shorthand = field_validator("compress", mode="before")(compress_shorthand)

    @model_validator(mode="after")
    def _refuse_what_we_cannot_honour(self) -> ChatCompletionsRequest:
        extra = self.model_extra or {}  # most requests send no extras: nothing to look up then
        for name in UNSUPPORTED.keys() & extra.keys():
            value = extra[name]
            if value is not None and value != UNSUPPORTED[name]:
                raise ValueError(f"parameter '{name}' is not supported by this gateway")
        if self.n not in (None, 1):
            raise ValueError("only n=1 is supported")
        return self

    def to_completion_request(self, organization_id: str | None) -> CompletionRequest:
        arguments: dict[str, Any] = {
            "model": self.model,
            "messages": [m.as_chat_message() for m in self.messages],
            "stop": self.stop,
            "fallbacks": self.fallbacks,
            "cache": self.cache,
            "prompt_cache": self.prompt_cache,
            "compress": self.compress,
            "conversation_id": self.conversation_id,
            "priority": self.priority,
            "episode_id": self.episode_id,
            "organization_id": organization_id,
            "response_format": self.response_format,
        }
        max_tokens = self.max_completion_tokens or self.max_tokens
        optional = {"max_tokens": max_tokens, "temperature": self.temperature, "top_p": self.top_p}
        arguments.update({k: v for k, v in optional.items() if v is not None})
        try:
            return CompletionRequest.model_validate(arguments)
        except ValueError as exc:
            raise InvalidRequestError(f"invalid request: {exc}") from None

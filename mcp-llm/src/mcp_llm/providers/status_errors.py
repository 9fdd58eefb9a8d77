"""The HTTP-status half of every adapter's error table: what a status code means for the gateway.

Each vendor module (``openai_errors``, ``anthropic_errors``, ``gemini_errors``, ``ollama_errors``)
first reads what only its vendor says (error types, codes, bodies) and falls back to this table
for the rest, so a 429 or a 503 means the same thing whichever vendor sent it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcp_llm.providers.error_hints import looks_like_context_length, retry_after_seconds
from mcp_shared.errors import (
    AuthenticationError,
    ContextLengthExceededError,
    LLMProviderError,
    ModelNotFoundError,
    ProviderBadRequestError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)


class ErrorFactory:
    """Builds gateway errors that carry the provider, model and the vendor's original exception."""

    def __init__(self, exc: BaseException | None, provider: str, model: str) -> None:
        self.exc = exc
        self.provider = provider
        self.model = model

    def __call__(self, cls: type[LLMProviderError], message: str, **extra: Any) -> LLMProviderError:
        return cls(message, provider=self.provider, model=self.model, original_error=self.exc, **extra)


def error_for_status(
    make: ErrorFactory,
    status: int,
    message: str,
    headers: Mapping[str, str] | None = None,
    retry_after: float | None = None,
) -> LLMProviderError:
    """The gateway error for a vendor's HTTP status and message (``retry_after`` overrides headers)."""
    provider, model = make.provider, make.model
    wait = retry_after if retry_after is not None else retry_after_seconds(headers)
    if status in (401, 403):
        return make(AuthenticationError, f"{provider} rejected the credentials: {message}")
    if status == 404:
        return make(ModelNotFoundError, f"{provider} does not serve model '{model}': {message}")
    if status == 413 or looks_like_context_length(message):
        return make(ContextLengthExceededError, message)
    if status == 429:
        return make(RateLimitError, f"{provider} rate limit: {message}", retry_after=wait)
    if status in (408, 504):
        return make(ProviderTimeoutError, f"{provider} timed out: {message}")
    if 400 <= status < 500:
        return make(ProviderBadRequestError, f"{provider} rejected the request: {message}")
    return make(
        ProviderUnavailableError, f"{provider} failed with HTTP {status}: {message}", retry_after=wait
    )

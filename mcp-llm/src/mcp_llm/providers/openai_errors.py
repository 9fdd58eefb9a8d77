"""The OpenAI SDK's exceptions mapped onto the gateway's taxonomy, in one table.

Used by every provider that speaks the OpenAI wire format (OpenAI, xAI, DashScope, any
OpenAI-compatible server), so a 429 means the same thing whichever of them sent it.
"""

from __future__ import annotations

from typing import Any

import httpx2
import openai

from mcp_llm.providers.error_hints import looks_like_context_length, retry_after_seconds, vendor_message
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

_BILLING_CODES = {"insufficient_quota", "billing_hard_limit_reached"}

VENDOR_ERRORS = (openai.OpenAIError, httpx2.HTTPError)
"""What talking to the vendor can raise; anything else is a bug and surfaces as ``internal``."""


def map_openai_error(exc: BaseException, provider: str, model: str) -> LLMProviderError:
    """Translate one exception raised while talking to an OpenAI-wire endpoint."""

    def make(cls: type[LLMProviderError], message: str, **extra: Any) -> LLMProviderError:
        return cls(message, provider=provider, model=model, original_error=exc, **extra)

    if isinstance(exc, openai.APITimeoutError | httpx2.TimeoutException):
        return make(ProviderTimeoutError, f"{provider} did not answer in time")
    if isinstance(exc, openai.APIConnectionError | httpx2.TransportError):
        return make(ProviderUnavailableError, f"could not reach {provider}: {type(exc).__name__}")
    if not isinstance(exc, openai.APIStatusError):
        if isinstance(exc, openai.APIError):
            message = vendor_message(exc.body, exc.message)
            if looks_like_context_length(exc.code, message):
                return make(ContextLengthExceededError, message)
            return make(ProviderUnavailableError, f"{provider} failed mid-answer: {message}")
        return make(ProviderUnavailableError, f"{provider} call failed: {type(exc).__name__}: {exc}")

    status = exc.status_code
    code = exc.code or ""
    message = vendor_message(exc.body, f"{provider} answered HTTP {status}")
    if status in (401, 403):
        return make(AuthenticationError, f"{provider} rejected the credentials: {message}")
    if status == 404:
        return make(ModelNotFoundError, f"{provider} does not serve model '{model}': {message}")
    if status == 413 or looks_like_context_length(code, message):
        return make(ContextLengthExceededError, message)
    if status == 429:
        retry_after = retry_after_seconds(exc.response.headers)
        if code in _BILLING_CODES:
            return make(
                RateLimitError,
                f"{provider} account is out of quota: {message}",
                retry_after=retry_after,
                retryable=False,
            )
        return make(RateLimitError, f"{provider} rate limit: {message}", retry_after=retry_after)
    if status in (400, 409, 422):
        return make(ProviderBadRequestError, f"{provider} rejected the request: {message}")
    if status == 408:
        return make(ProviderTimeoutError, f"{provider} timed out: {message}")
    return make(
        ProviderUnavailableError,
        f"{provider} failed with HTTP {status}: {message}",
        retry_after=retry_after_seconds(exc.response.headers),
    )

"""The OpenAI SDK's exceptions mapped onto the gateway's taxonomy, in one table.

Used by every provider that speaks the OpenAI wire format (OpenAI, xAI, DashScope, any
OpenAI-compatible server), so a 429 means the same thing whichever of them sent it.
"""

from __future__ import annotations

import httpx2
import openai

from mcp_llm.providers.error_hints import looks_like_context_length, retry_after_seconds, vendor_message
from mcp_llm.providers.status_errors import ErrorFactory, error_for_status
from mcp_shared.errors import (
    ContextLengthExceededError,
    LLMProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)

_BILLING_CODES = {"insufficient_quota", "billing_hard_limit_reached"}

VENDOR_ERRORS = (openai.OpenAIError, httpx2.HTTPError)
"""What talking to the vendor can raise; anything else is a bug and surfaces as ``internal``."""


def map_openai_error(exc: BaseException, provider: str, model: str) -> LLMProviderError:
    """Translate one exception raised while talking to an OpenAI-wire endpoint."""
    make = ErrorFactory(exc, provider, model)
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
    if status == 429 and code in _BILLING_CODES:
        return make(
            RateLimitError,
            f"{provider} account is out of quota: {message}",
            retry_after=retry_after_seconds(exc.response.headers),
            retryable=False,
        )
    if status not in (401, 403, 404) and looks_like_context_length(code):
        return make(ContextLengthExceededError, message)
    return error_for_status(make, status, message, headers=exc.response.headers)

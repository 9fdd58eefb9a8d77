"""The Anthropic SDK's exceptions mapped onto the gateway's taxonomy, in one table.

Anthropic names the cause in the body (``{"type": "error", "error": {"type", "message", "details"?}}``):
``invalid_request_error`` (400), ``authentication_error`` (401), ``billing_error`` (402),
``permission_error`` (403), ``not_found_error`` (404), ``request_too_large`` (413),
``rate_limit_error`` (429), ``api_error`` (500), ``timeout_error`` (504), ``overloaded_error`` (529).
The same body arrives as an ``error`` event inside a stream that had already started with HTTP 200,
so the type is read before the status. A 429 whose ``details.error_code`` is
``enforced_spend_limit_reached`` will not pass by waiting and is not retried.
"""

from __future__ import annotations

import anthropic
import httpx2

from mcp_llm.providers.error_hints import looks_like_context_length, retry_after_seconds, vendor_message
from mcp_llm.providers.status_errors import ErrorFactory, error_for_status
from mcp_shared.errors import (
    ContextLengthExceededError,
    LLMProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)

VENDOR_ERRORS = (anthropic.AnthropicError, httpx2.HTTPError)
"""What talking to Anthropic can raise; anything else is a bug and surfaces as ``internal``."""

_STATUS_OF_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}
_SPEND_LIMIT_CODES = {"enforced_spend_limit_reached"}


def map_anthropic_error(exc: BaseException, provider: str, model: str) -> LLMProviderError:
    """Translate one exception raised while talking to the Anthropic Messages API."""
    make = ErrorFactory(exc, provider, model)
    if isinstance(exc, anthropic.APITimeoutError | httpx2.TimeoutException):
        return make(ProviderTimeoutError, f"{provider} did not answer in time")
    if isinstance(exc, anthropic.APIConnectionError | httpx2.TransportError):
        return make(ProviderUnavailableError, f"could not reach {provider}: {type(exc).__name__}")
    if not isinstance(exc, anthropic.APIStatusError):
        return make(ProviderUnavailableError, f"{provider} call failed: {type(exc).__name__}: {exc}")

    message = vendor_message(exc.body, f"{provider} answered HTTP {exc.status_code}")
    status = exc.status_code if exc.status_code >= 400 else _STATUS_OF_TYPE.get(exc.type or "", 502)
    retry_after = retry_after_seconds(exc.response.headers) if exc.status_code >= 400 else None
    if status == 402 or (status == 429 and exc.error_code in _SPEND_LIMIT_CODES):
        return make(
            RateLimitError,
            f"{provider} account is out of credit or over its spend limit: {message}",
            retry_after=retry_after,
            retryable=False,
        )
    if status == 400 and looks_like_context_length(message):
        return make(ContextLengthExceededError, message)
    if status == 529:
        return make(ProviderUnavailableError, f"{provider} is overloaded: {message}", retry_after=retry_after)
    return error_for_status(make, status, message, retry_after=retry_after)

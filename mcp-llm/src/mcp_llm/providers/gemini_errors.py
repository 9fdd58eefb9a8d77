"""The google-genai SDK's exceptions mapped onto the gateway's taxonomy, in one table.

Gemini's errors are Google API errors: ``{"error": {"code", "message", "status", "details": [...]}}``.
Two of them do not mean what their status suggests: a bad API key is ``400 INVALID_ARGUMENT`` with
the reason ``API_KEY_INVALID`` (an authentication failure, not a bad request), and a 429 says when to
come back in a ``google.rpc.RetryInfo`` detail (``"retryDelay": "37s"``) rather than a header. A 429
that points at the plan and billing with no delay is an exhausted quota that waiting will not fix.
"""

from __future__ import annotations

import re
from typing import Any

import httpx2
from google.genai import errors as genai_errors

from mcp_llm.providers.error_hints import retry_after_seconds
from mcp_llm.providers.status_errors import ErrorFactory, error_for_status
from mcp_shared.errors import (
    AuthenticationError,
    LLMProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)

VENDOR_ERRORS = (genai_errors.APIError, genai_errors.UnknownApiResponseError, httpx2.HTTPError)
"""What talking to Gemini can raise; anything else is a bug and surfaces as ``internal``."""

_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
_BAD_KEY_REASONS = {"API_KEY_INVALID", "API_KEY_EXPIRED"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def _details(body: Any) -> list[dict[str, Any]]:
    inner = body.get("error", body) if isinstance(body, dict) else None
    details = inner.get("details") if isinstance(inner, dict) else None
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def retry_delay(body: Any) -> float | None:
    """Seconds from a ``RetryInfo`` detail's ``retryDelay`` (a protobuf duration such as ``"37s"``)."""
    for detail in _details(body):
        if detail.get("@type") == _RETRY_INFO:
            found = _DURATION.match(str(detail.get("retryDelay", "")))
            if found:
                return float(found.group(1))
    return None


def _reasons(body: Any) -> set[str]:
    return {str(d.get("reason")) for d in _details(body) if d.get("@type") == _ERROR_INFO}


def map_gemini_error(exc: BaseException, provider: str, model: str) -> LLMProviderError:
    """Translate one exception raised while talking to the Gemini API."""
    make = ErrorFactory(exc, provider, model)
    if isinstance(exc, httpx2.TimeoutException):
        return make(ProviderTimeoutError, f"{provider} did not answer in time")
    if isinstance(exc, httpx2.HTTPError):
        return make(ProviderUnavailableError, f"could not reach {provider}: {type(exc).__name__}")
    if not isinstance(exc, genai_errors.APIError):
        return make(ProviderUnavailableError, f"{provider} sent an answer that is not JSON")

    status = int(exc.code or 500)
    message = exc.message or f"{provider} answered HTTP {status} {exc.status or ''}".strip()
    headers = getattr(exc.response, "headers", None)
    if status == 400 and (_reasons(exc.details) & _BAD_KEY_REASONS or "API key not valid" in message):
        return make(AuthenticationError, f"{provider} rejected the credentials: {message}")
    if status == 429:
        wait = retry_delay(exc.details)
        if wait is None:
            wait = retry_after_seconds(headers)
        if wait is None and "billing" in message.lower():
            return make(
                RateLimitError, f"{provider} quota exhausted: {message}", retry_after=None, retryable=False
            )
        return make(RateLimitError, f"{provider} rate limit: {message}", retry_after=wait)
    return error_for_status(make, status, message, headers=headers)

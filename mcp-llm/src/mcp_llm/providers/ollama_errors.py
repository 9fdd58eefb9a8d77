"""Ollama's errors mapped onto the gateway's taxonomy, in one table.

Ollama answers errors as ``{"error": "<text>"}``: a model that is not pulled is
``404 {"error": "model \\"NAME\\" not found, try pulling it first"}``, a full queue is 503, and with
``"truncate": false`` a prompt longer than the window is a 400 naming ``exceed_context_size``. The
same ``{"error": ...}`` object can also arrive as a line inside a stream that had started with 200.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import httpx2

from mcp_llm.providers.error_hints import looks_like_context_length
from mcp_llm.providers.status_errors import ErrorFactory, error_for_status
from mcp_shared.errors import (
    ContextLengthExceededError,
    LLMProviderError,
    ModelNotFoundError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)

VENDOR_ERRORS = (httpx2.HTTPError, json.JSONDecodeError)
"""What talking to Ollama can raise; anything else is a bug and surfaces as ``internal``."""


def ollama_message(body: str) -> str | None:
    """The text of Ollama's ``{"error": ...}`` body, or None when the body is not one."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    return error if isinstance(error, str) and error else None


def error_from_status(
    provider: str, model: str, status: int, body: str, headers: Mapping[str, str] | None = None
) -> LLMProviderError:
    """The gateway error for an HTTP error answer from Ollama."""
    make = ErrorFactory(None, provider, model)
    message = ollama_message(body)
    if status == 404:
        if message is None:  # not Ollama's JSON: the endpoint is something else
            return make(
                ProviderUnavailableError,
                f"{provider} endpoint answered 404 without Ollama's error body: is it an Ollama server?",
            )
        return make(
            ModelNotFoundError,
            f"{provider} has no model '{model}' ({message}): pull it first with `ollama pull {model}`",
        )
    return error_for_status(make, status, message or body[:200] or f"HTTP {status}", headers=headers)


def error_in_stream(provider: str, model: str, message: str) -> LLMProviderError:
    """An ``{"error": ...}`` line inside a stream: the answer was cut by the server."""
    make = ErrorFactory(None, provider, model)
    if looks_like_context_length(message):
        return make(ContextLengthExceededError, message)
    return make(ProviderUnavailableError, f"{provider} failed mid-answer: {message}")


def map_ollama_error(exc: BaseException, provider: str, model: str, endpoint: str) -> LLMProviderError:
    """Translate a transport failure (or a malformed line) while talking to Ollama."""
    make = ErrorFactory(exc, provider, model)
    if isinstance(exc, httpx2.TimeoutException):
        return make(ProviderTimeoutError, f"{provider} did not answer in time")
    if isinstance(exc, httpx2.ConnectError):
        return make(
            ProviderUnavailableError,
            f"could not reach {provider} at {endpoint}: is Ollama running (`ollama serve`)?",
        )
    if isinstance(exc, json.JSONDecodeError):
        return make(ProviderUnavailableError, f"{provider} sent a line that is not JSON")
    return make(ProviderUnavailableError, f"could not reach {provider}: {type(exc).__name__}")

"""The gateway's answers and errors in OpenAI's wire format (chat.completion, chunks, error bodies)."""

from __future__ import annotations

import json
import time
from typing import Any

from mcp_shared.errors import ErrorType, ServiceError
from mcp_shared.models import CompletionResponse, Usage

_FINISH = {"stop": "stop", "length": "length", "content_filter": "content_filter", "tool_calls": "tool_calls"}

# Gateway error type -> (HTTP status, OpenAI error type, OpenAI error code): what OpenAI itself answers.
_ERRORS: dict[ErrorType, tuple[int, str, str | None]] = {
    ErrorType.INVALID_REQUEST: (400, "invalid_request_error", None),
    ErrorType.AUTHENTICATION: (401, "authentication_error", "invalid_api_key"),
    ErrorType.MODEL_NOT_FOUND: (404, "invalid_request_error", "model_not_found"),
    ErrorType.RATE_LIMIT: (429, "rate_limit_error", "rate_limit_exceeded"),
    ErrorType.QUOTA_EXCEEDED: (429, "rate_limit_error", "quota_exceeded"),
    ErrorType.CONTEXT_LENGTH_EXCEEDED: (400, "invalid_request_error", "context_length_exceeded"),
    ErrorType.PROVIDER_UNAVAILABLE: (502, "server_error", "provider_unavailable"),
    ErrorType.TIMEOUT: (504, "server_error", "timeout"),
    ErrorType.INTERNAL: (500, "server_error", None),
}


def public_model(provider: str, model: str) -> str:
    return f"{provider}/{model}"


def usage_body(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def completion_body(response: CompletionResponse) -> dict[str, Any]:
    body = _completion_body(response)
    if response.experiment is not None:  # extra fields, as OpenAI clients keep them (model_extra)
        body["experiment"], body["variant"] = response.experiment, response.variant
    if response.compression is not None:
        body["compression"] = response.compression.model_dump()
    if response.cache_saving_usd:
        body["cache_saving_usd"] = response.cache_saving_usd
    return body


def _completion_body(response: CompletionResponse) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{response.request_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": public_model(response.provider, response.model),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": response.content, "refusal": None},
                "logprobs": None,
                "finish_reason": _FINISH.get(response.finish_reason, "stop"),
            }
        ],
        "usage": usage_body(response.usage),
        "system_fingerprint": None,
    }


def chunk_frame(
    request_id: str, model: str, delta: dict[str, Any], finish: str | None = None, usage: Usage | None = None
) -> bytes:
    """One ``data:`` frame of a chat.completion.chunk stream (choices empty on the usage frame)."""
    chunk = {
        "id": f"chatcmpl-{request_id}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": []
        if usage is not None
        else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        "usage": usage_body(usage) if usage is not None else None,
    }
    return b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"


def finish_reason(response: CompletionResponse) -> str:
    return _FINISH.get(response.finish_reason, "stop")


def error_body(exc: ServiceError) -> tuple[int, dict[str, Any]]:
    """OpenAI's status and ``{"error": {message, type, param, code}}`` for a gateway error."""
    status, kind, code = _ERRORS.get(exc.error_type, (500, "server_error", None))
    if exc.error_type is ErrorType.INVALID_REQUEST and exc.status in (404, 413, 405):
        status = exc.status
    return status, {
        "error": {"message": exc.message, "type": kind, "param": exc.details.get("field"), "code": code}
    }

"""Per-request errors of a batch job, in the gateway's error taxonomy (the body a failed ``complete`` has)."""

from __future__ import annotations

from typing import Any

from mcp_shared.errors import ErrorType
from mcp_shared.redaction import redact

_BY_STATUS: dict[int, ErrorType] = {
    400: ErrorType.INVALID_REQUEST,
    401: ErrorType.AUTHENTICATION,
    403: ErrorType.AUTHENTICATION,
    404: ErrorType.MODEL_NOT_FOUND,
    408: ErrorType.TIMEOUT,
    413: ErrorType.CONTEXT_LENGTH_EXCEEDED,
    422: ErrorType.INVALID_REQUEST,
    429: ErrorType.RATE_LIMIT,
}
_ANTHROPIC: dict[str, ErrorType] = {
    "invalid_request_error": ErrorType.INVALID_REQUEST,
    "authentication_error": ErrorType.AUTHENTICATION,
    "permission_error": ErrorType.AUTHENTICATION,
    "billing_error": ErrorType.AUTHENTICATION,
    "not_found_error": ErrorType.MODEL_NOT_FOUND,
    "request_too_large": ErrorType.CONTEXT_LENGTH_EXCEEDED,
    "rate_limit_error": ErrorType.RATE_LIMIT,
    "timeout_error": ErrorType.TIMEOUT,
}
_GRPC: dict[int, ErrorType] = {
    3: ErrorType.INVALID_REQUEST,
    4: ErrorType.TIMEOUT,
    5: ErrorType.MODEL_NOT_FOUND,
    7: ErrorType.AUTHENTICATION,
    8: ErrorType.RATE_LIMIT,
    16: ErrorType.AUTHENTICATION,
}
"""google.rpc.Code numbers (a Gemini batch request's ``error.code``)."""


def item_error(kind: ErrorType, message: str, provider: str, model: str, **details: Any) -> dict[str, Any]:
    """The structured error of one request; the message is redacted like every error the gateway sends."""
    return {
        "type": str(kind),
        "message": redact(message),
        "provider": provider,
        "model": model,
        **{k: v for k, v in details.items() if v is not None},
    }


def from_status(status: int | None) -> ErrorType:
    if status is None:
        return ErrorType.PROVIDER_UNAVAILABLE
    return _BY_STATUS.get(status, ErrorType.PROVIDER_UNAVAILABLE)


def from_anthropic(kind: str | None) -> ErrorType:
    return _ANTHROPIC.get(kind or "", ErrorType.PROVIDER_UNAVAILABLE)


def from_grpc(code: int | None) -> ErrorType:
    return _GRPC.get(code or 0, ErrorType.PROVIDER_UNAVAILABLE)


def expired(provider: str, model: str) -> dict[str, Any]:
    return item_error(
        ErrorType.TIMEOUT,
        "the vendor's batch window ended before this request ran; submit it again",
        provider,
        model,
        reason="expired",
    )


def cancelled(provider: str, model: str) -> dict[str, Any]:
    return item_error(
        ErrorType.PROVIDER_UNAVAILABLE,
        "the batch job was cancelled before this request ran",
        provider,
        model,
        reason="cancelled",
    )


def job_failed(provider: str, model: str, message: str, code: str | None = None) -> dict[str, Any]:
    return item_error(
        ErrorType.INVALID_REQUEST, f"the vendor refused the batch job: {message}", provider, model, code=code
    )


def missing(provider: str, model: str) -> dict[str, Any]:
    return item_error(
        ErrorType.PROVIDER_UNAVAILABLE,
        "the vendor's results name no outcome for this request",
        provider,
        model,
        reason="no_result",
    )

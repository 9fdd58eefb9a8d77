"""The error taxonomy both services speak.

Every failure a caller can see is one of these classes. Each carries a contract ``type``
(``invalid_request``, ``rate_limit``, ...) and an HTTP status, and serialises to the one
structured shape ``{"error": {"type", "message", "provider", "model", "retry_after"?}}`` used
over MCP (as a tool error result) and over plain HTTP (as the response body).

The class names follow the original design: ``LLMProviderError(provider, model,
original_error)`` with ``RateLimitError(retry_after)``, ``ModelNotFoundError``,
``AuthenticationError`` and the rest. ``original_error`` is kept for debugging but never
serialised: SDK exceptions can hold request objects with credentials in their headers.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from mcp_shared.redaction import redact


class ErrorType(StrEnum):
    """The contract's error types, one per cause a caller can act on."""

    INVALID_REQUEST = "invalid_request"
    AUTHENTICATION = "authentication"
    MODEL_NOT_FOUND = "model_not_found"
    RATE_LIMIT = "rate_limit"
    CONTEXT_LENGTH_EXCEEDED = "context_length_exceeded"
    QUOTA_EXCEEDED = "quota_exceeded"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    TIMEOUT = "timeout"
    INTERNAL = "internal"


class ServiceError(Exception):
    """Base of every structured error; subclasses fix the type and default status."""

    error_type: ClassVar[ErrorType] = ErrorType.INTERNAL
    default_status: ClassVar[int] = 500

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        retry_after: float | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.message = redact(message)
        # Names come from callers too: a key pasted as a model name must not come back in the error.
        self.provider = redact(provider) if provider else provider
        self.model = redact(model) if model else model
        self.retry_after = retry_after
        self.status = status or self.default_status
        self.details = details or {}
        super().__init__(self.message)

    def to_payload(self) -> dict[str, Any]:
        """The contract's error body, safe to send to any caller."""
        body: dict[str, Any] = {
            "type": str(self.error_type),
            "message": self.message,
            "provider": self.provider,
            "model": self.model,
        }
        if self.retry_after is not None:
            body["retry_after"] = round(self.retry_after, 3)
        body.update(self.details)
        return {"error": body}


class InvalidRequestError(ServiceError):
    """The caller's input is wrong: a missing field, a bad value, a malformed body."""

    error_type = ErrorType.INVALID_REQUEST
    default_status = 400


class NotFoundError(InvalidRequestError):
    """The caller named something that does not exist (a tool, a debate, a resource)."""

    default_status = 404


class PayloadTooLargeError(InvalidRequestError):
    """The request body is bigger than the configured limit."""

    default_status = 413


class QuotaExceededError(ServiceError):
    """The organization's configured quota would be exceeded by this request."""

    error_type = ErrorType.QUOTA_EXCEEDED
    default_status = 429


class InternalError(ServiceError):
    """A bug or an unexpected failure inside the service; details stay in the logs."""

    error_type = ErrorType.INTERNAL
    default_status = 500


class LLMProviderError(ServiceError):
    """A provider failed to answer; the base of every provider-caused error."""

    error_type = ErrorType.PROVIDER_UNAVAILABLE
    default_status = 502
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        original_error: BaseException | None = None,
        retry_after: float | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(
            message, provider=provider, model=model, retry_after=retry_after, status=status, details=details
        )
        self.original_error = original_error
        if retryable is not None:
            self.retryable = (
                retryable  # e.g. a 429 that means "out of billing quota" will not pass by waiting
            )


class AuthenticationError(LLMProviderError):
    """The provider has no credentials configured, or rejected them."""

    error_type = ErrorType.AUTHENTICATION
    default_status = 401


class ModelNotFoundError(LLMProviderError):
    """The provider does not serve the requested model (or it is not pulled, for Ollama)."""

    error_type = ErrorType.MODEL_NOT_FOUND
    default_status = 404


class ProviderBadRequestError(LLMProviderError):
    """The provider rejected the request as invalid (a parameter it does not accept)."""

    error_type = ErrorType.INVALID_REQUEST
    default_status = 400


class ContextLengthExceededError(LLMProviderError):
    """The prompt plus the requested output do not fit the model's context window."""

    error_type = ErrorType.CONTEXT_LENGTH_EXCEEDED
    default_status = 413


class RateLimitError(LLMProviderError):
    """The provider throttled the request; ``retry_after`` says when to try again."""

    error_type = ErrorType.RATE_LIMIT
    default_status = 429
    retryable = True


class ProviderUnavailableError(LLMProviderError):
    """The provider answered with a server error, dropped the connection or cut a stream."""

    error_type = ErrorType.PROVIDER_UNAVAILABLE
    default_status = 502
    retryable = True


class ProviderTimeoutError(LLMProviderError):
    """The provider did not answer within the configured time."""

    error_type = ErrorType.TIMEOUT
    default_status = 504
    retryable = True


def error_from_payload(payload: dict[str, Any]) -> ServiceError:
    """Rebuild a typed error from its wire form (used by clients of the services)."""
    body = payload.get("error", payload)
    kind = body.get("type", ErrorType.INTERNAL)
    cls = _CLASS_BY_TYPE.get(kind, InternalError)
    known = {"type", "message", "provider", "model", "retry_after"}
    return cls(
        str(body.get("message", "unknown error")),
        provider=body.get("provider"),
        model=body.get("model"),
        retry_after=body.get("retry_after"),
        details={k: v for k, v in body.items() if k not in known},
    )


_CLASS_BY_TYPE: dict[str, type[ServiceError]] = {
    ErrorType.INVALID_REQUEST: InvalidRequestError,
    ErrorType.AUTHENTICATION: AuthenticationError,
    ErrorType.MODEL_NOT_FOUND: ModelNotFoundError,
    ErrorType.RATE_LIMIT: RateLimitError,
    ErrorType.CONTEXT_LENGTH_EXCEEDED: ContextLengthExceededError,
    ErrorType.QUOTA_EXCEEDED: QuotaExceededError,
    ErrorType.PROVIDER_UNAVAILABLE: ProviderUnavailableError,
    ErrorType.TIMEOUT: ProviderTimeoutError,
    ErrorType.INTERNAL: InternalError,
}

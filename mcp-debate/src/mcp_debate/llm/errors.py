"""Turning what comes back from mcp-llm (or fails to) into the contract's typed errors.

Every error that leaves the client names the debate and participant it belongs to, keeps the
gateway's error type, and says whether waiting could help (``retryable``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import mcp_types as types
from mcp.shared.exceptions import MCPError

from mcp_debate.llm.transport import REJECTED, UNREACHABLE
from mcp_shared.errors import (
    AuthenticationError,
    InternalError,
    LLMProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    ServiceError,
    error_from_payload,
)


@dataclass(frozen=True, slots=True)
class CallScope:
    """What an LLM call is for, so its errors can say so."""

    debate_id: str | None = None
    participant: str | None = None
    provider: str | None = None
    model: str | None = None
    purpose: str = "turn"
    extra: dict[str, Any] = field(default_factory=dict)
    organization: str | None = None
    """The debate's organization: mcp-llm bills the call to it (when mcp-debate's key may act for others)."""
    episode: str | None = None
    """The debate's episode id, sent with the call: an mcp-llm experiment keeps the episode on one variant."""

    def describe(self) -> str:
        parts = []
        if self.debate_id:
            parts.append(f"debate {self.debate_id}")
        if self.participant:
            target = f" ({self.provider}/{self.model})" if self.provider and self.model else ""
            parts.append(f"participant '{self.participant}'{target}")
        if self.purpose != "turn":
            parts.append(self.purpose)
        return ", ".join(parts)


class GatewayAnswered(Exception):
    """mcp-llm answered the call with an error, after its own retries: retrying it here would multiply them.

    Only a failure to reach mcp-llm at all (down, restarting, a connection reset) is retried by the client.
    """

    def __init__(self, error: ServiceError) -> None:
        super().__init__(error.message)
        self.error = error


def is_retryable(error: ServiceError) -> bool:
    """Whether waiting could fix the error (a provider outage, mcp-llm unreachable)."""
    return isinstance(error, LLMProviderError) and error.retryable


def rejected_credentials(url: str) -> AuthenticationError:
    """mcp-llm has API keys on and ours is missing or wrong: say which setting fixes it."""
    return AuthenticationError(
        f"mcp-llm at {url} refused mcp-debate's credentials: set LLM_SERVICE_API_KEY to a key from "
        "`mcp-llm keygen`"
    )


def from_link_failure(exc: BaseException, url: str, timeout: float | None) -> tuple[ServiceError, bool]:
    """A failure to get an answer from mcp-llm at all; the flag says whether the client is broken."""
    if isinstance(exc, MCPError):
        if exc.code == UNREACHABLE:
            cause = exc.data.get("cause") if isinstance(exc.data, dict) else None
            suffix = f" ({cause})" if cause else ""
            return ProviderUnavailableError(f"mcp-llm at {url} is unreachable{suffix}", status=503), False
        if exc.code == REJECTED:
            return rejected_credentials(url), False
        if exc.code == types.REQUEST_TIMEOUT:
            # The gateway may still be working on it: retrying could pay for the same answer twice.
            return (
                ProviderTimeoutError(f"mcp-llm did not answer within {timeout:g} s", retryable=False),
                False,
            )
        if exc.code == types.CONNECTION_CLOSED:
            return ProviderUnavailableError(f"connection to mcp-llm at {url} closed: {exc.message}"), True
        return (
            ProviderUnavailableError(
                f"mcp-llm at {url} failed the call: {exc.message}", status=502, retryable=False
            ),
            False,
        )
    return ProviderUnavailableError(f"mcp-llm at {url} is unreachable ({exc})", status=503), True


def from_tool_error(result: types.CallToolResult, service: str = "mcp-llm") -> ServiceError:
    """The structured error a service (mcp-llm, or mcp-debate for the CLI) returned as a tool error result."""
    text = "".join(c.text for c in result.content if isinstance(c, types.TextContent))
    try:
        payload = json.loads(text)
    except ValueError:
        return InternalError(f"{service} returned an unstructured error: {text[:300]}")
    if not isinstance(payload, dict):
        return InternalError(f"{service} returned an unstructured error: {text[:300]}")
    return error_from_payload(payload)


def scoped(error: ServiceError, scope: CallScope) -> ServiceError:
    """The same error, its message prefixed with the debate and participant, which also go in ``details``."""
    details = {k: v for k, v in {"debate_id": scope.debate_id, "participant": scope.participant}.items() if v}
    new = type(error)(
        f"{scope.describe()}: {error.message}" if scope.describe() else error.message,
        provider=error.provider or scope.provider,
        model=error.model or scope.model,
        retry_after=error.retry_after,
        status=error.status,
        details={**error.details, **details, **scope.extra},
    )
    if isinstance(error, LLMProviderError) and isinstance(new, LLMProviderError):
        new.retryable = error.retryable
    return new

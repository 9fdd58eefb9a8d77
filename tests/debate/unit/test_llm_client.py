"""The mcp-llm client's policies: when to retry, how long to wait, and errors that name their debate."""

from __future__ import annotations

import json

import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError

from mcp_debate.llm.client import RetryPolicy
from mcp_debate.llm.errors import CallScope, from_link_failure, from_tool_error, scoped
from mcp_debate.llm.transport import UNREACHABLE
from mcp_shared.errors import (
    AuthenticationError,
    InternalError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)

URL = "http://llm:5001/mcp"


def test_only_errors_that_waiting_can_fix_are_retried() -> None:
    policy = RetryPolicy(attempts=3, initial_wait=0.5, max_wait=10)
    outage = ProviderUnavailableError("down")
    assert 0.25 <= (policy.wait_before(1, outage) or 0) <= 0.5
    assert 0.5 <= (policy.wait_before(2, outage) or 0) <= 1.0
    assert policy.wait_before(3, outage) is None  # attempts used up
    assert policy.wait_before(1, AuthenticationError("bad key")) is None
    assert policy.wait_before(1, InternalError("bug")) is None
    assert policy.wait_before(1, ProviderTimeoutError("slow", retryable=False)) is None


def test_a_providers_retry_after_is_honoured_up_to_the_longest_wait() -> None:
    policy = RetryPolicy(attempts=5, initial_wait=0.5, max_wait=10)
    assert policy.wait_before(1, RateLimitError("slow down", retry_after=2.5)) == 2.5
    assert policy.wait_before(1, RateLimitError("come back tomorrow", retry_after=3600)) is None


def test_link_failures_say_what_happened_and_whether_the_client_is_broken() -> None:
    error, broken = from_link_failure(MCPError(UNREACHABLE, "x", {"cause": "ConnectError"}), URL, 60)
    assert isinstance(error, ProviderUnavailableError) and error.retryable and not broken
    assert error.message == f"mcp-llm at {URL} is unreachable (ConnectError)" and error.status == 503

    error, broken = from_link_failure(MCPError(types.REQUEST_TIMEOUT, "timed out"), URL, 60)
    assert isinstance(error, ProviderTimeoutError) and not error.retryable  # it may still be running
    assert "within 60 s" in error.message

    error, broken = from_link_failure(MCPError(types.CONNECTION_CLOSED, "closed"), URL, 60)
    assert isinstance(error, ProviderUnavailableError) and error.retryable and broken

    error, broken = from_link_failure(RuntimeError("Client must be used within an async context"), URL, 60)
    assert isinstance(error, ProviderUnavailableError) and broken


def test_tool_errors_keep_the_gateways_type() -> None:
    payload = json.dumps(
        {
            "error": {
                "type": "rate_limit",
                "message": "mock rate limit",
                "provider": "mock",
                "retry_after": 0.2,
            }
        }
    )
    result = types.CallToolResult(content=[types.TextContent(type="text", text=payload)], is_error=True)
    error = from_tool_error(result)
    assert isinstance(error, RateLimitError) and error.retry_after == 0.2 and error.provider == "mock"
    garbled = types.CallToolResult(content=[types.TextContent(type="text", text="<html>")], is_error=True)
    assert isinstance(from_tool_error(garbled), InternalError)


@pytest.mark.parametrize("error", [RateLimitError("slow", retry_after=1.0), AuthenticationError("no key")])
def test_scoped_errors_name_the_debate_and_participant_and_keep_everything_else(error: Exception) -> None:
    scope = CallScope("deb_1", "Con", "mock", "mock-1")
    wrapped = scoped(error, scope)  # type: ignore[arg-type]
    assert type(wrapped) is type(error)
    assert wrapped.message == f"debate deb_1, participant 'Con' (mock/mock-1): {error.message}"  # type: ignore[attr-defined]
    body = wrapped.to_payload()["error"]
    assert body["debate_id"] == "deb_1" and body["participant"] == "Con"
    assert body["provider"] == "mock" and body["model"] == "mock-1"
    assert wrapped.status == error.status and wrapped.retryable == error.retryable  # type: ignore[attr-defined]

"""Retry decisions: only errors that can pass by waiting are retried, and retry_after is honoured."""

from __future__ import annotations

import time

import pytest

from mcp_llm.gateway.retry import RetryPolicy
from mcp_shared.errors import (
    AuthenticationError,
    ContextLengthExceededError,
    InvalidRequestError,
    ModelNotFoundError,
    ProviderBadRequestError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    QuotaExceededError,
    RateLimitError,
)

POLICY = RetryPolicy(max_attempts=3, initial_wait=0.01, max_wait=1.0)


@pytest.mark.parametrize(
    "error",
    [
        RateLimitError("slow down"),
        RateLimitError("slow down", retry_after=0.5),
        ProviderUnavailableError("500"),
        ProviderTimeoutError("late"),
    ],
)
def test_transient_errors_are_retried(error: Exception) -> None:
    assert POLICY.should_retry(error)


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationError("bad key"),
        ModelNotFoundError("no model"),
        ContextLengthExceededError("too long"),
        ProviderBadRequestError("bad param"),
        InvalidRequestError("bad input"),
        QuotaExceededError("budget"),
        RateLimitError("out of credit", retryable=False),
        RateLimitError("wait an hour", retry_after=3600),
        ValueError("bug"),
        None,
    ],
)
def test_other_errors_are_not_retried(error: Exception | None) -> None:
    assert not POLICY.should_retry(error)


async def test_retry_after_is_waited_then_the_call_succeeds() -> None:
    attempts = []

    async def flaky() -> str:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise RateLimitError("slow down", retry_after=0.05)
        return "ok"

    assert await POLICY.call(flaky) == "ok"
    assert len(attempts) == 3
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert all(gap >= 0.05 for gap in gaps)


async def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    calls = 0

    async def always_down() -> str:
        nonlocal calls
        calls += 1
        raise ProviderUnavailableError(f"down {calls}")

    with pytest.raises(ProviderUnavailableError, match="down 3"):
        await POLICY.call(always_down)
    assert calls == 3


async def test_permanent_error_is_raised_on_first_attempt() -> None:
    calls = 0

    async def bad_key() -> str:
        nonlocal calls
        calls += 1
        raise AuthenticationError("bad key")

    with pytest.raises(AuthenticationError):
        await POLICY.call(bad_key)
    assert calls == 1


async def test_veto_stops_retries() -> None:
    calls = 0

    async def cut() -> str:
        nonlocal calls
        calls += 1
        raise ProviderUnavailableError("stream cut")

    with pytest.raises(ProviderUnavailableError):
        await POLICY.call(cut, may_retry=lambda: False)
    assert calls == 1

"""When and how long to retry a provider call, with tenacity.

Only errors that can pass by waiting are retried (rate limits, server errors, timeouts). A
``retry_after`` from the vendor is honoured; one longer than the configured maximum wait is not
waited out here but returned at once, so the caller (or the fallback chain) can decide.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt, wait_exponential_jitter

from mcp_shared.errors import LLMProviderError

logger = logging.getLogger(__name__)

T = TypeVar("T")


class RetryPolicy:
    """Attempts and waits for provider calls; built from settings."""

    def __init__(
        self,
        max_attempts: int,
        initial_wait: float,
        max_wait: float,
        on_retry: Callable[[str, str], None] | None = None,
    ) -> None:
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self._backoff = wait_exponential_jitter(initial=initial_wait, max=max_wait, jitter=initial_wait)
        self.on_retry = on_retry
        """Told (provider, model) before each retry; the gateway counts them in its metrics."""

    def should_retry(self, exc: BaseException | None) -> bool:
        """Retry only retryable provider errors whose requested wait we are willing to honour."""
        if not isinstance(exc, LLMProviderError) or not exc.retryable:
            return False
        return exc.retry_after is None or exc.retry_after <= self.max_wait

    def wait_seconds(self, state: RetryCallState) -> float:
        """The vendor's ``retry_after`` when given, else jittered exponential backoff."""
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, LLMProviderError) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_wait)
        return float(self._backoff(state))

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        if self.on_retry is not None and isinstance(exc, LLMProviderError):
            self.on_retry(exc.provider or "unknown", exc.model or "unknown")
        logger.info(
            "retrying provider call",
            extra={
                "attempt": state.attempt_number,
                "wait_s": round(state.upcoming_sleep, 3),
                "error_type": getattr(getattr(exc, "error_type", None), "value", None),
                "provider": getattr(exc, "provider", None),
            },
        )

    def retrying(self, may_retry: Callable[[], bool] = lambda: True) -> AsyncRetrying:
        return AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self.wait_seconds,
            retry=lambda state: (
                may_retry() and self.should_retry(state.outcome.exception() if state.outcome else None)
            ),
            before_sleep=self._log_retry,
            reraise=True,
        )

    async def call(
        self, operation: Callable[[], Awaitable[T]], may_retry: Callable[[], bool] = lambda: True
    ) -> T:
        """Run ``operation`` under this policy; the last error is re-raised unchanged.

        ``may_retry`` vetoes retries case by case (a stream that already reached the caller). The first
        attempt runs outside tenacity: its state machine builds objects that refer to each other (garbage
        the cycle collector then has to find, a pause on some later call) for every call, and most calls
        succeed the first time. A failure that may be retried hands over to tenacity as its first outcome,
        so attempts, waits and logging are tenacity's exactly as if it had run from the start.
        """
        try:
            return await operation()
        except LLMProviderError as exc:
            if self.max_attempts <= 1 or not may_retry() or not self.should_retry(exc):
                raise
            first: LLMProviderError | None = exc

        async def again() -> T:
            nonlocal first
            if first is not None:
                failed, first = first, None
                raise failed
            return await operation()

        async for attempt in self.retrying(may_retry):
            with attempt:
                return await again()
        raise AssertionError("unreachable: tenacity re-raises the last error")

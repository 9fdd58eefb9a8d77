"""Request queuing per provider (and optionally per model): a concurrency limit and a bounded priority queue.

A call takes a slot at once when one is free and nobody waits; otherwise it waits in a heap ordered by
priority (higher first) and arrival (FIFO within a priority). A full queue refuses at once with
``rate_limit`` and a ``retry_after`` estimated from recent call times; a call that waits longer than
the timeout leaves the queue with the same error. Both are ``rate_limit`` so a fallback chain moves on.
A freed slot passes straight to the next waiter, so a late arrival can never jump the queue.

Limits are per replica: they protect this process and its connection pools.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from mcp_llm.governance.metrics import GovernanceMetrics
from mcp_llm.settings.governance import QueueLimit
from mcp_shared.errors import RateLimitError

_MIN_RETRY_AFTER = 1.0
_MAX_RETRY_AFTER = 60.0


@dataclass(order=True)
class _Waiter:
    rank: tuple[int, int]
    future: asyncio.Future[None] = field(compare=False)


class PriorityGate:
    """One concurrency limit with its waiting line."""

    def __init__(
        self,
        provider: str,
        model: str,
        concurrency: int,
        max_queue: int,
        timeout: float,
        metrics: GovernanceMetrics,
    ) -> None:
        self.provider = provider
        self.model = model
        self.concurrency = concurrency
        self.max_queue = max_queue
        self.timeout = timeout
        self.in_flight = 0
        self._heap: list[_Waiter] = []
        self._waiting = 0
        self._arrivals = itertools.count()
        self._avg_hold = 1.0  # seconds a call holds its slot, smoothed
        self._depth = metrics.queue_depth.labels(provider, model)
        self._busy = metrics.queue_in_flight.labels(provider, model)
        self._wait = metrics.queue_wait.labels(provider, model)
        self._rejected = metrics.queue_rejections
        metrics.queue_capacity.labels(provider, model).set(max_queue)

    @property
    def depth(self) -> int:
        return self._waiting

    def retry_after(self) -> float:
        """When a slot is likely free for a newcomer: the line ahead, served ``concurrency`` at a time."""
        estimate = self._avg_hold * (self._waiting + 1) / self.concurrency
        return min(_MAX_RETRY_AFTER, max(_MIN_RETRY_AFTER, estimate))

    def _refuse(self, reason: str, message: str) -> RateLimitError:
        self._rejected.labels(self.provider, self.model, reason).inc()
        return RateLimitError(
            message,
            provider=self.provider,
            model=None if self.model == "*" else self.model,
            retry_after=self.retry_after(),
            details={"reason": f"queue_{reason}"},
        )

    async def acquire(self, priority: int = 0) -> float:
        """Wait for a slot; returns the seconds waited."""
        if self.in_flight < self.concurrency and not self._waiting:
            self.in_flight += 1
            self._busy.set(self.in_flight)
            self._wait.observe(0.0)
            return 0.0
        if self._waiting >= self.max_queue:
            raise self._refuse(
                "full",
                f"{self.provider} queue is full ({self._waiting} waiting for {self.concurrency} slots)",
            )
        started = time.perf_counter()
        waiter = _Waiter((-priority, next(self._arrivals)), asyncio.get_running_loop().create_future())
        heapq.heappush(self._heap, waiter)
        self._waiting += 1
        self._depth.set(self._waiting)
        try:
            await asyncio.wait_for(asyncio.shield(waiter.future), self.timeout)
        except TimeoutError:
            if not waiter.future.done():
                waiter.future.cancel()
                self._leave()
                raise self._refuse(
                    "timeout", f"waited {self.timeout:g} s for a {self.provider} slot without getting one"
                ) from None
            # The slot arrived just as the timer fired: keep it.
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                self.release(hold=0.0)  # handed a slot we will not use: pass it on
            else:
                waiter.future.cancel()
                self._leave()
            raise
        waited = time.perf_counter() - started
        self._wait.observe(waited)
        return waited

    def _leave(self) -> None:
        self._waiting -= 1
        self._depth.set(self._waiting)

    def release(self, hold: float | None = None) -> None:
        """Free a slot, handing it to the highest-priority live waiter if there is one."""
        if hold is not None and hold > 0:
            self._avg_hold = 0.8 * self._avg_hold + 0.2 * hold
        while self._heap:
            waiter = heapq.heappop(self._heap)
            if waiter.future.cancelled():
                continue
            self._leave()
            waiter.future.set_result(None)
            return  # the slot moves to the waiter; in_flight is unchanged
        self.in_flight -= 1
        self._busy.set(self.in_flight)

    @asynccontextmanager
    async def slot(self, priority: int = 0) -> AsyncIterator[None]:
        await self.acquire(priority)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.release(time.perf_counter() - started)


class QueueManager:
    """The gates: one per provider, or per provider and model where a model has its own limits."""

    def __init__(
        self,
        defaults: QueueLimit,
        overrides: dict[str, QueueLimit],
        metrics: GovernanceMetrics,
    ) -> None:
        self._defaults = defaults
        self._overrides = overrides
        self._metrics = metrics
        self._gates: dict[tuple[str, str], PriorityGate] = {}

    def gate(self, provider: str, model: str) -> PriorityGate:
        key = (provider, model) if f"{provider}/{model}" in self._overrides else (provider, "*")
        found = self._gates.get(key)
        if found is None:
            found = self._gates[key] = self._build(*key)
        return found

    def _build(self, provider: str, model: str) -> PriorityGate:
        name = provider if model == "*" else f"{provider}/{model}"
        limit = self._overrides.get(name, QueueLimit())
        provider_limit = self._overrides.get(provider, QueueLimit())

        def pick(attr: str) -> float:
            for source in (limit, provider_limit, self._defaults):
                value = getattr(source, attr)
                if value is not None:
                    return float(value)
            raise AssertionError(f"no default for queue {attr}")

        return PriorityGate(
            provider,
            model,
            concurrency=int(pick("concurrency")),
            max_queue=int(pick("max_queue")),
            timeout=pick("timeout"),
            metrics=self._metrics,
        )

"""Quotas per organization: reserve the estimated cost before a call, reconcile after, release on failure.

A call reserves one request, its estimated tokens (prompt counted, output bounded by ``max_tokens``)
and their price, against every configured window at once. If any limit would be exceeded, nothing is
reserved and the call fails with ``quota_exceeded``, naming the quota, the limit, the usage and when
the window resets. After the call, the reservation is corrected to the real usage; a failed call
gives it back. Dollars are counted in nano-dollars so the counters stay integers.

With Redis, every replica shares the counters; when Redis is unreachable, this replica enforces the
same limits on its own counters until Redis answers again (readiness says so). Those start from the
values Redis last returned to this replica, not from zero, so an outage cannot hand an organization a
fresh budget; what replicas spend on their own during it is not written back to Redis.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

from mcp_llm.governance.metrics import GovernanceMetrics
from mcp_llm.governance.quota_store import Counter, MemoryQuotaStore, QuotaStore
from mcp_llm.governance.windows import iso, window_span
from mcp_llm.settings.governance import DEFAULT_QUOTA_KEY, QuotaLimits, QuotaMetric, QuotaWindow
from mcp_shared.errors import QuotaExceededError
from mcp_shared.models import Usage

logger = logging.getLogger(__name__)

NANO = 1_000_000_000
UNBOUNDED = 2**53 - 1
"""The limit a charge's counters carry: usage already spent is added whatever the configured limit (the
largest integer the Redis script's Lua numbers hold exactly)."""
_EXPIRY_GRACE = 60  # seconds a counter outlives its window, for late reconciliations


@dataclass(frozen=True, slots=True)
class Limit:
    metric: QuotaMetric
    window: QuotaWindow
    value: int
    """In counter units: requests, tokens or nano-dollars."""

    @property
    def name(self) -> str:
        return f"{self.metric}_per_{self.window}"

    def show(self, units: int) -> float | int:
        return round(units / NANO, 9) if self.metric == "usd" else units


def units(metric: QuotaMetric, requests: int, tokens: int, usd: float) -> int:
    if metric == "requests":
        return requests
    if metric == "tokens":
        return tokens
    return math.ceil(usd * NANO)


class QuotaPolicy:
    """Which limits apply to an organization: its own entry over the default one."""

    def __init__(self, quotas: dict[str, QuotaLimits]) -> None:
        default = quotas.get(DEFAULT_QUOTA_KEY, QuotaLimits())
        self._default = self._limits(default)
        self._by_org = {
            org: self._limits(limits.over(default))
            for org, limits in quotas.items()
            if org != DEFAULT_QUOTA_KEY
        }
        self.organizations = frozenset(self._by_org)
        every = [(DEFAULT_QUOTA_KEY, self._default), *self._by_org.items()]
        self._requests_only = {
            org: tuple(limit for limit in limits if limit.metric == "requests") for org, limits in every
        }
        self._spend_only = {
            org: tuple(limit for limit in limits if limit.metric != "requests") for org, limits in every
        }

    @staticmethod
    def _limits(limits: QuotaLimits) -> tuple[Limit, ...]:
        return tuple(
            Limit(metric, window, math.ceil(value * NANO) if metric == "usd" else int(value))
            for metric, window, value in limits.items()
        )

    def limits_for(self, organization: str) -> tuple[Limit, ...]:
        return self._by_org.get(organization, self._default)

    def request_limits_for(self, organization: str) -> tuple[Limit, ...]:
        """Only the request-count limits (what a call that uses no tokens counts against)."""
        found = self._requests_only.get(organization)
        return found if found is not None else self._requests_only[DEFAULT_QUOTA_KEY]

    def spend_limits_for(self, organization: str) -> tuple[Limit, ...]:
        """Only the token and dollar limits (what usage spent outside the chain counts against)."""
        found = self._spend_only.get(organization)
        return found if found is not None else self._spend_only[DEFAULT_QUOTA_KEY]


@dataclass(slots=True)
class Reservation:
    """What one call holds against its organization's counters until it is settled or released."""

    store: QuotaStore
    limits: tuple[Limit, ...]
    counters: list[Counter]
    done: bool = field(default=False)

    async def settle(self, tokens: int, usd: float) -> None:
        """Correct the reservation to what the call really used."""
        if self.done:
            return
        self.done = True
        deltas = [
            (c.key, units(limit.metric, 1, tokens, usd) - c.amount)
            for limit, c in zip(self.limits, self.counters, strict=True)
        ]
        await self.store.adjust(deltas)

    async def release(self) -> None:
        """Give everything back (the call failed before using anything)."""
        if self.done:
            return
        self.done = True
        await self.store.adjust([(c.key, -c.amount) for c in self.counters])


class QuotaManager:
    """Reserves, reconciles and reports quota use; Redis-backed or in-process."""

    def __init__(
        self,
        policy: QuotaPolicy,
        store: QuotaStore,
        metrics: GovernanceMetrics,
        fallback: MemoryQuotaStore | None = None,
    ) -> None:
        self.policy = policy
        self.store = store
        self.metrics = metrics
        self._fallback = fallback
        self._gauges: dict[tuple[str, str], Any] = {}
        self._settling: set[asyncio.Task[None]] = set()

    def needs_estimate(self, organization: str) -> bool:
        """Whether reserving needs a token count and a price (token or dollar limits)."""
        return any(limit.metric != "requests" for limit in self.policy.limits_for(organization))

    def counts_dollars(self, organization: str) -> bool:
        """Whether the organization has a dollar limit (work checked against ``require_room``)."""
        return any(limit.metric == "usd" for limit in self.policy.limits_for(organization))

    def counts_tokens(self) -> bool:
        """Whether any organization's reservations count prompt tokens (so every call needs the tokenizer)."""
        return any(self.needs_estimate(org) for org in (DEFAULT_QUOTA_KEY, *self.policy.organizations))

    def _counters(
        self, organization: str, limits: tuple[Limit, ...], tokens: int, usd: float, now: float
    ) -> list[Counter]:
        counters = []
        for limit in limits:
            span = window_span(limit.window, now)
            counters.append(
                Counter(
                    key=f"gov:quota:{{{organization}}}:{limit.metric}:{limit.window}:{span.label}",
                    limit=limit.value,
                    amount=units(limit.metric, 1, tokens, usd),
                    ttl=int(span.end - now) + _EXPIRY_GRACE,
                )
            )
        return counters

    async def reserve(self, organization: str, tokens: int, usd: float) -> Reservation | None:
        """Reserve one call's estimate, or raise ``QuotaExceededError``; None when no limit applies."""
        return await self._reserve(organization, self.policy.limits_for(organization), tokens, usd)

    async def count_request(self, organization: str) -> None:
        """Count a call that uses no tokens (a cache hit) against the request limits, or raise
        ``QuotaExceededError``: free answers are still requests, and a rate limit must hold for them."""
        await self._reserve(organization, self.policy.request_limits_for(organization), 0, 0.0)

    async def charge(self, organization: str, tokens: int, usd: float) -> None:
        """Add usage already spent outside the chain (a vendor batch job's results) to the organization's
        token and dollar counters of every window, past a limit if need be: it is recorded, never dropped,
        and the next call that does not fit is refused as usual. Request counts are not charged (the job's
        requests never passed through the gateway's rate limits)."""
        limits = self.policy.spend_limits_for(organization)
        await self._reserve(organization, limits, tokens, usd, bounded=False)

    async def _reserve(
        self, organization: str, limits: tuple[Limit, ...], tokens: int, usd: float, bounded: bool = True
    ) -> Reservation | None:
        if not limits:
            return None
        now = time.time()
        counters = self._counters(organization, limits, tokens, usd, now)
        if not bounded:
            counters = [replace(c, limit=UNBOUNDED) for c in counters]
        store: QuotaStore = self.store
        result = await store.reserve(counters)
        if result is None and self._fallback is not None:  # Redis unreachable: enforce on this replica
            store = self._fallback
            result = await store.reserve(counters)
        elif result is not None and self._fallback is not None and result.blocked is None:
            self._fallback.seed(counters, result.used)
        if result is None:
            raise AssertionError("the in-process quota store always answers")
        label = self.metrics.organization_label(organization)
        if result.blocked is not None:
            limit, counter = limits[result.blocked], counters[result.blocked]
            self.metrics.quota_rejections.labels(label, limit.name).inc()
            raise self._exceeded(organization, limit, counter, result.used[0], now)
        for limit, used in zip(limits, result.used, strict=True):
            if limit.value:
                self._gauge(label, limit.name).set(used / limit.value)
        return Reservation(store, limits, counters)

    async def finish(self, reservation: Reservation, usage: Usage | None, usd: float) -> None:
        """Reconcile a reservation with what the call used (``None``: nothing, give it all back).

        In-process corrections are immediate; Redis ones run after the answer has gone back to the caller
        (the reservation already holds the budget, so nothing can overshoot meanwhile)."""
        correction = reservation.release() if usage is None else reservation.settle(usage.total_tokens, usd)
        if isinstance(reservation.store, MemoryQuotaStore):
            await correction
            return
        task = asyncio.create_task(correction)
        self._settling.add(task)
        task.add_done_callback(self._settled)

    def _settled(self, task: asyncio.Task[None]) -> None:
        self._settling.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("quota reconciliation failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for reconciliations still running (at shutdown)."""
        if self._settling:
            await asyncio.gather(*self._settling, return_exceptions=True)

    def _gauge(self, label: str, quota: str) -> Any:
        found = self._gauges.get((label, quota))
        if found is None:
            found = self._gauges[(label, quota)] = self.metrics.quota_utilization.labels(label, quota)
        return found

    @staticmethod
    def _exceeded(
        organization: str,
        limit: Limit,
        counter: Counter,
        used: int,
        now: float,
        what: str = "this call",
        field: str | None = None,
    ) -> QuotaExceededError:
        resets_at = window_span(limit.window, now).end
        never_fits = counter.amount > limit.value
        details: dict[str, object] = {
            "organization": organization,
            "quota": limit.name,
            "limit": limit.show(limit.value),
            "usage": limit.show(used),
            "requested": limit.show(counter.amount),
            "resets_at": iso(resets_at),
        }
        if field is not None:
            details["field"] = field
        if never_fits:
            message = (
                f"{what} alone needs {limit.show(counter.amount)} against the {limit.name} quota of "
                f"{limit.show(limit.value)} for organization '{organization}': lower max_tokens or the prompt"
            )
            return QuotaExceededError(message, details=details)
        message = (
            f"organization '{organization}' has used {limit.show(used)} of its {limit.name} quota of "
            f"{limit.show(limit.value)}; it resets at {iso(resets_at)}"
        )
        if field is not None:
            message += f"; {what} needs up to {limit.show(counter.amount)}"
        return QuotaExceededError(message, retry_after=max(0.0, resets_at - now), details=details)

    async def require_room(self, organization: str, usd: float, what: str, field: str) -> None:
        """Refuse work whose estimated cost alone exceeds what is left of any of the organization's dollar
        quotas (``QuotaExceededError`` naming ``field``); reserves nothing: work that runs for hours is
        ``charge``d when it is done, not held against a window now."""
        limits = tuple(limit for limit in self.policy.limits_for(organization) if limit.metric == "usd")
        if not limits or usd <= 0:
            return
        now = time.time()
        counters = self._counters(organization, limits, 0, usd, now)
        used = await self._read(counters)
        for limit, counter, value in zip(limits, counters, used, strict=True):
            if value + counter.amount > limit.value:
                label = self.metrics.organization_label(organization)
                self.metrics.quota_rejections.labels(label, limit.name).inc()
                raise self._exceeded(organization, limit, counter, value, now, what, field)

    async def _read(self, counters: list[Counter]) -> list[int]:
        """The counters' current values: from Redis, else this replica's own (Redis down), else zero."""
        used = await self.store.read([c.key for c in counters])
        if used is None and self._fallback is not None:
            used = await self._fallback.read([c.key for c in counters])
        return used or [0] * len(counters)

    async def status(self, organization: str) -> list[dict[str, object]]:
        """Current use of every quota of an organization, for reports."""
        limits = self.policy.limits_for(organization)
        now = time.time()
        used = await self._read(self._counters(organization, limits, 0, 0.0, now))
        return [
            {
                "quota": limit.name,
                "limit": limit.show(limit.value),
                "used": limit.show(value),
                "resets_at": iso(window_span(limit.window, now).end),
            }
            for limit, value in zip(limits, used, strict=True)
        ]

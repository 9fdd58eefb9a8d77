"""The governance stages of each hop: which hops can take the call, the circuit, the organization's
quota, the provider's queue, its rolling health, and the usage ledger."""

from __future__ import annotations

import time

from mcp_llm.gateway.attempt import Attempt, HopSkipped, Next
from mcp_llm.governance.circuit import CircuitBreakers
from mcp_llm.governance.fallback import FallbackPlanner
from mcp_llm.governance.ledger import UsageLedger
from mcp_llm.governance.monitor import HealthMonitor
from mcp_llm.governance.queue import QueueManager
from mcp_llm.governance.quotas import QuotaManager
from mcp_llm.pricing import PriceBook
from mcp_shared.errors import (
    AuthenticationError,
    ContextLengthExceededError,
    ErrorType,
    LLMProviderError,
    ProviderUnavailableError,
    ServiceError,
)
from mcp_shared.models import Usage

HEALTH_ERRORS = frozenset({ErrorType.RATE_LIMIT, ErrorType.PROVIDER_UNAVAILABLE, ErrorType.TIMEOUT})
"""Failures that say something about the provider's health (not about the caller's request)."""


class Ledger:
    """Adds every hop that used something to the organization's usage: an answer, a cache hit (a free
    request), or the part of a cut stream that reached the caller (billed, marked failed)."""

    def __init__(self, ledger: UsageLedger) -> None:
        self.ledger = ledger

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        try:
            await call_next(attempt)
        finally:
            hop = attempt.target
            if attempt.cached:
                self.ledger.record(attempt.organization, hop.provider, hop.model, Usage(), 0.0, cached=True)
            elif attempt.usage is not None:
                self.ledger.record(
                    attempt.organization,
                    hop.provider,
                    hop.model,
                    attempt.usage,
                    attempt.cost_usd,
                    failed=attempt.partial,
                )


class HopChecks:
    """Within a chain, skips a hop whose provider is not configured here or whose model's known context
    window is smaller than the prompt, rather than failing the whole chain on it."""

    def __init__(self, planner: FallbackPlanner) -> None:
        self.planner = planner

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        if attempt.chained:
            hop = attempt.target
            error: ServiceError
            skip = self.planner.configured_skip(hop)
            if skip is not None:
                error = AuthenticationError(skip.detail, provider=hop.provider, model=hop.model)
                raise HopSkipped(skip.reason, skip.detail, error)
            skip = self.planner.context_skip(hop, attempt.prompt_tokens())
            if skip is not None:
                error = ContextLengthExceededError(skip.detail, provider=hop.provider, model=hop.model)
                raise HopSkipped(skip.reason, skip.detail, error)
        await call_next(attempt)


class Circuit:
    """Skips a model whose circuit is open; lets exactly one call through as the half-open probe, and
    records how every call that reached the provider ended (only those: a quota or queue refusal says
    nothing about the provider)."""

    def __init__(self, breakers: CircuitBreakers) -> None:
        self.breakers = breakers

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        hop = attempt.target
        if await self.breakers.admit(hop.provider, hop.model) == "open":
            detail = f"the circuit of {hop.provider}/{hop.model} is open"
            error = ProviderUnavailableError(
                f"{detail}; retry after the cooldown",
                provider=hop.provider,
                model=hop.model,
                retry_after=self.breakers.cooldown,
                status=503,
            )
            raise HopSkipped("circuit_open", detail, error)
        try:
            await call_next(attempt)
        except LLMProviderError as exc:
            if attempt.admitted and exc.error_type in HEALTH_ERRORS:
                await self.breakers.failure(hop.provider, hop.model)
            raise
        await self.breakers.success(hop.provider, hop.model)


class Quota:
    """Reserves the organization's quota for the hop's estimate (``QuotaExceededError`` past a limit),
    then reconciles it with what the call used, or gives it back, whatever happened."""

    def __init__(self, quotas: QuotaManager, prices: PriceBook) -> None:
        self.quotas = quotas
        self.prices = prices

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        hop, organization = attempt.target, attempt.organization
        tokens, usd = 0, 0.0
        if self.quotas.needs_estimate(organization):
            prompt, most = attempt.prompt_tokens(), attempt.request.max_tokens
            tokens = prompt + most
            usd = self.prices.estimate(hop.provider, hop.model, prompt, most)
        reservation = await self.quotas.reserve(organization, tokens, usd)
        if reservation is None:
            await call_next(attempt)
            return
        try:
            await call_next(attempt)
        finally:
            await self.quotas.finish(reservation, attempt.usage, attempt.cost_usd)


class Queue:
    """Waits for a slot of the provider's (or model's) bounded priority queue."""

    def __init__(self, queues: QueueManager) -> None:
        self.queues = queues

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        hop = attempt.target
        async with self.queues.gate(hop.provider, hop.model).slot(attempt.request.priority):
            attempt.admitted = True
            await call_next(attempt)


class Health:
    """The rolling error rate and latency of the model (``provider_health``), timed without the queue."""

    def __init__(self, monitor: HealthMonitor) -> None:
        self.monitor = monitor

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        hop = attempt.target
        started = time.perf_counter()
        try:
            await call_next(attempt)
        except LLMProviderError as exc:
            elapsed = time.perf_counter() - started
            self.monitor.rolling(hop.provider, hop.model).failure(elapsed, str(exc.error_type))
            raise
        self.monitor.rolling(hop.provider, hop.model).success(time.perf_counter() - started)

"""The governance hooks the gateway pipeline calls around each hop.

1. ``chain``: which hops a call may try (its own fallbacks, else the configured ones).
2. ``precheck``: skip a hop that cannot take the call (context window too small, circuit open).
3. ``admit``: reserve the organization's quota, wait for a provider slot, run the call, then record
   its health, reconcile the reservation with the real usage (or release it) and add it to the ledger.
4. ``admit_cached``: a cache hit is a request that costs nothing: it counts against request limits only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from mcp_llm.governance.circuit import Admission, CircuitBreakers
from mcp_llm.governance.fallback import FallbackPlanner, Skip
from mcp_llm.governance.ledger import UsageLedger
from mcp_llm.governance.monitor import HealthMonitor
from mcp_llm.governance.queue import QueueManager
from mcp_llm.governance.quota_store import MemoryQuotaStore
from mcp_llm.governance.quotas import QuotaManager, Reservation
from mcp_llm.pricing import PriceBook
from mcp_llm.routing.resolution import Target
from mcp_llm.tokens import TokenCounter
from mcp_shared.errors import ErrorType, LLMProviderError
from mcp_shared.models import CompletionRequest, Usage

logger = logging.getLogger(__name__)

# Failures that say something about the provider's health (not about the caller's request).
HEALTH_ERRORS = frozenset({ErrorType.RATE_LIMIT, ErrorType.PROVIDER_UNAVAILABLE, ErrorType.TIMEOUT})


class PromptTokens:
    """The prompt's token count per hop, counted at most once per tokenizer-relevant target."""

    def __init__(self, counter: TokenCounter, request: CompletionRequest) -> None:
        self._counter = counter
        self._messages = list(request.messages)
        self._memo: dict[Target, int] = {}

    def of(self, hop: Target) -> int:
        found = self._memo.get(hop)
        if found is None:
            found = self._memo[hop] = self._counter.count_messages(
                hop.provider, hop.model, self._messages
            ).tokens
        return found


@dataclass(slots=True)
class Ticket:
    """One admitted hop; the pipeline reports what the call used before leaving the block."""

    admission: Admission
    usage: Usage | None = None
    cost_usd: float = 0.0
    partial: bool = False
    """True when the call failed after part of the answer reached the caller (it is billed)."""
    queue_wait: float = field(default=0.0)

    def used(self, usage: Usage, cost_usd: float, *, partial: bool = False) -> None:
        self.usage, self.cost_usd, self.partial = usage, cost_usd, partial


class Governance:
    """Quotas, ledger, queues, circuits, health and fallback planning behind one small interface."""

    def __init__(
        self,
        *,
        quotas: QuotaManager,
        ledger: UsageLedger,
        queues: QueueManager,
        breakers: CircuitBreakers,
        monitor: HealthMonitor,
        planner: FallbackPlanner,
        tokens: TokenCounter,
        prices: PriceBook,
    ) -> None:
        self.quotas = quotas
        self.ledger = ledger
        self.queues = queues
        self.breakers = breakers
        self.monitor = monitor
        self.planner = planner
        self.tokens = tokens
        self.prices = prices
        self._settling: set[asyncio.Task[None]] = set()

    def prompt_tokens(self, request: CompletionRequest) -> PromptTokens:
        return PromptTokens(self.tokens, request)

    def chain(self, request: CompletionRequest, primary: Target) -> list[Target]:
        return self.planner.chain(request, primary)

    async def precheck(
        self, hop: Target, prompt: PromptTokens, chained: bool
    ) -> tuple[Skip | None, Admission]:
        """Whether to skip a hop before trying it; the context window is checked only within a chain."""
        if chained:
            skip = self.planner.configured_skip(hop) or self.planner.context_skip(hop, prompt.of(hop))
            if skip is not None:
                return skip, "pass"
        admission = await self.breakers.admit(hop.provider, hop.model)
        if admission == "open":
            return Skip("circuit_open", f"the circuit of {hop.provider}/{hop.model} is open"), admission
        return None, admission

    @asynccontextmanager
    async def admit(
        self,
        hop: Target,
        request: CompletionRequest,
        organization: str,
        prompt: PromptTokens,
        admission: Admission,
    ) -> AsyncIterator[Ticket]:
        """Quota reservation, a queue slot, then the call; accounting on the way out, whatever happens."""
        tokens, usd = 0, 0.0
        if self.quotas.needs_estimate(organization):
            tokens = prompt.of(hop) + request.max_tokens
            usd = self.prices.estimate(hop.provider, hop.model, prompt.of(hop), request.max_tokens)
        reservation = await self.quotas.reserve(organization, tokens, usd)
        ticket = Ticket(admission)
        try:
            async with self.queues.gate(hop.provider, hop.model).slot(request.priority) as waited:
                ticket.queue_wait = waited
                started = time.perf_counter()
                try:
                    yield ticket
                except LLMProviderError as exc:
                    elapsed = time.perf_counter() - started
                    self.monitor.rolling(hop.provider, hop.model).failure(elapsed, str(exc.error_type))
                    if exc.error_type in HEALTH_ERRORS:
                        await self.breakers.failure(hop.provider, hop.model)
                    raise
                self.monitor.rolling(hop.provider, hop.model).success(time.perf_counter() - started)
                await self.breakers.success(hop.provider, hop.model)
        finally:
            await self._account(ticket, reservation, organization, hop)

    async def _account(
        self, ticket: Ticket, reservation: Reservation | None, organization: str, hop: Target
    ) -> None:
        if reservation is not None:
            if ticket.usage is None:
                await self._settle(reservation, reservation.release())
            else:
                await self._settle(
                    reservation, reservation.settle(ticket.usage.total_tokens, ticket.cost_usd)
                )
        if ticket.usage is None:
            return
        self.ledger.record(
            organization, hop.provider, hop.model, ticket.usage, ticket.cost_usd, failed=ticket.partial
        )

    async def _settle(self, reservation: Reservation, correction: Coroutine[None, None, None]) -> None:
        """In-process corrections are immediate; Redis ones run after the answer has gone back to the caller
        (the reservation already holds the budget, so nothing can overshoot meanwhile)."""
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

    async def admit_cached(self, organization: str, hop: Target) -> None:
        """A cache hit costs no tokens or dollars but is a request: it counts against the request limits
        (raising ``QuotaExceededError`` past them) and lands in the ledger as a cached request."""
        await self.quotas.count_request(organization)
        self.ledger.record(organization, hop.provider, hop.model, Usage(), 0.0, cached=True)

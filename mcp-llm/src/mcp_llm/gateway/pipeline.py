"""The path of every completion: resolve the target, try the cache, call the provider with retries,
fall back along the chain, account for the call, remember the exchange.

Governance hooks in at three points of each hop (see ``governance/core.py``): before it is tried
(context window, circuit), around the provider call (quota reservation, queue slot, health, usage),
and on a cache hit (request limits, the ledger). Without governance the same path runs with none of them.

Streaming follows the same path. Chunks go to the caller as they arrive; retries and fallbacks
happen only before the first chunk, and a stream cut after it is an error, never a short success
(and the part that reached the caller is billed).

Every provider attempt is bounded by ``PROVIDER_TIMEOUT`` (``deadline.py``). A caller that leaves
cancels the call: its queue slot and quota reservation are given back on the way out, and a stream
it had started to receive is billed for what reached it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from mcp_llm.gateway.cache import ResponseCache, cache_key
from mcp_llm.gateway.conversations import ConversationStore, Exchange
from mcp_llm.gateway.deadline import answer_within, chunks_within
from mcp_llm.gateway.metrics import GatewayMetrics
from mcp_llm.gateway.retry import RetryPolicy
from mcp_llm.governance.circuit import Admission
from mcp_llm.governance.core import Governance, PromptTokens, Ticket
from mcp_llm.governance.fallback import Skip
from mcp_llm.pricing import PriceBook
from mcp_llm.providers.base import LLMProvider, ProviderRequest, ProviderResponse
from mcp_llm.providers.registry import ProviderRegistry
from mcp_llm.routing.resolution import Target, TargetResolver
from mcp_llm.tokens import TokenCounter
from mcp_shared.auth import OrganizationPolicy
from mcp_shared.errors import (
    AuthenticationError,
    ContextLengthExceededError,
    ErrorType,
    LLMProviderError,
    ProviderUnavailableError,
    QuotaExceededError,
    ServiceError,
)
from mcp_shared.models import CompletionRequest, CompletionResponse, HopOutcome, Usage
from mcp_shared.server.tools import CallContext, StreamEvent

logger = logging.getLogger(__name__)

# Errors after which the next hop of a chain is tried (a bigger window may hold what this one cannot).
FALLBACK_ON = frozenset(
    {
        ErrorType.RATE_LIMIT,
        ErrorType.PROVIDER_UNAVAILABLE,
        ErrorType.TIMEOUT,
        ErrorType.CONTEXT_LENGTH_EXCEEDED,
    }
)
CANCELLED = "cancelled"
"""The outcome of a provider call whose caller left before the answer (``llm_requests_total``)."""
# Answers worth caching; an error or a filtered answer is not.
CACHEABLE_FINISH = frozenset({"stop", "length"})

ChunkSink = Callable[[StreamEvent], Awaitable[None]]


@dataclass(slots=True)
class StreamState:
    """Whether the caller has already received part of an answer (then nothing may be retried)."""

    started: bool = False
    first_chunk_at: float | None = None
    delivered: list[str] = field(default_factory=list)
    """Text that reached the caller: billed even when the stream is then cut."""


class Gateway:
    """Runs completions through cache, retries, providers and fallbacks."""

    def __init__(
        self,
        *,
        providers: ProviderRegistry,
        resolver: TargetResolver,
        cache: ResponseCache,
        conversations: ConversationStore,
        tokens: TokenCounter,
        prices: PriceBook,
        retry: RetryPolicy,
        metrics: GatewayMetrics,
        organizations: OrganizationPolicy | None = None,
        governance: Governance | None = None,
    ) -> None:
        self.providers = providers
        self.resolver = resolver
        self.cache = cache
        self.conversations = conversations
        self.tokens = tokens
        self.prices = prices
        self.retry = retry
        self.metrics = metrics
        self.organizations = organizations or OrganizationPolicy()
        self.governance = governance
        retry.on_retry = lambda provider, model: metrics.retries.labels(provider, model).inc()

    def organization(self, request: CompletionRequest, call: CallContext) -> str:
        """Who the call is billed to: the key's organization, unless the key may act for the one asked for."""
        return self.organizations.acting_for(call.organization_id, request.organization_id)

    async def complete(self, request: CompletionRequest, call: CallContext) -> CompletionResponse:
        return await self._run(request, call, sink=None)

    async def stream(self, request: CompletionRequest, call: CallContext) -> CompletionResponse:
        """Like ``complete``, sending each chunk to ``call.emit`` as it arrives."""
        return await self._run(request, call, sink=call.emit)

    # -- the hop loop ------------------------------------------------------------------------

    def _chain(self, request: CompletionRequest, primary: Target) -> list[Target]:
        if self.governance is not None:
            return self.governance.chain(request, primary)
        return [primary, *(self.resolver.resolve(f.provider, f.model) for f in request.fallbacks)]

    async def _run(
        self, request: CompletionRequest, call: CallContext, sink: ChunkSink | None
    ) -> CompletionResponse:
        started = time.perf_counter()
        organization = self.organization(request, call)
        primary = self.resolver.resolve(request.provider, request.model)
        chain = self._chain(request, primary)
        prompt = self.governance.prompt_tokens(request) if self.governance is not None else None
        state = StreamState()
        outcomes: list[HopOutcome] = []
        failure: LLMProviderError | None = None
        refusal: ServiceError | None = None  # why hops were skipped, when none was tried
        for index, hop in enumerate(chain):
            admission: Admission = "pass"
            if self.governance is not None and prompt is not None:
                skip, admission = await self.governance.precheck(hop, prompt, chained=len(chain) > 1)
                if skip is not None:
                    outcomes.append(
                        HopOutcome(**_hop(hop), outcome="skipped", reason=f"{skip.reason}: {skip.detail}")
                    )
                    refusal = refusal or _skip_error(hop, skip, self.governance)
                    self._leaving(chain, index, skip.reason)
                    continue
            try:
                response = await self._answer(
                    hop, request, call, organization, sink, state, started, prompt, admission
                )
            except QuotaExceededError as exc:
                outcomes.append(
                    HopOutcome(**_hop(hop), outcome="skipped", reason=f"quota_exceeded: {exc.message}")
                )
                refusal = exc if not isinstance(refusal, QuotaExceededError) else refusal
                self._leaving(chain, index, "quota_exceeded")
                continue
            except LLMProviderError as exc:
                outcomes.append(
                    HopOutcome(**_hop(hop), outcome="failed", reason=f"{exc.error_type}: {exc.message}")
                )
                if state.started or exc.error_type not in FALLBACK_ON:
                    _with_hops(exc, outcomes, chain)
                    raise
                failure = exc
                self._leaving(chain, index, str(exc.error_type))
                continue
            outcomes.append(HopOutcome(**_hop(hop), outcome="answered"))
            response.hops = outcomes
            response.fallback_used = index > 0
            response.requested_provider = primary.provider
            response.requested_model = primary.model
            await self._remember(request, organization, response)
            return response
        error = failure or refusal
        if error is None:
            raise AssertionError("unreachable: the chain is never empty")
        raise _with_hops(error, outcomes, chain)

    def _leaving(self, chain: list[Target], index: int, reason: str) -> None:
        """Count and log a move to the next hop (nothing when this was the last one)."""
        if index == len(chain) - 1:
            return
        hop, after = chain[index], chain[index + 1]
        self.metrics.fallbacks.labels(hop.provider, hop.model, reason).inc()
        logger.info(
            "falling back",
            extra={
                "from": f"{hop.provider}/{hop.model}",
                "to": f"{after.provider}/{after.model}",
                "reason": reason,
            },
        )

    # -- one hop -----------------------------------------------------------------------------

    async def _answer(
        self,
        hop: Target,
        request: CompletionRequest,
        call: CallContext,
        organization: str,
        sink: ChunkSink | None,
        state: StreamState,
        started: float,
        prompt: PromptTokens | None = None,
        admission: Admission = "pass",
    ) -> CompletionResponse:
        params = request.generation_params()
        key = None
        if self.cache.policy.allows(hop.provider, params.temperature, request.cache):
            key = cache_key(organization, hop.provider, hop.model, request.messages, params)
            hit = await self.cache.get(key)
            self.metrics.cache.labels(hop.provider, hop.model, "hit" if hit else "miss").inc()
            if hit is not None:
                if self.governance is not None:
                    await self.governance.admit_cached(organization, hop)
                return await self._replay(hit, request, call, sink, state, started)

        provider = self.providers.get(hop.provider)
        if self.governance is None or prompt is None:
            return await self._call(hop, request, call, provider, key, sink, state, started, None)
        async with self.governance.admit(hop, request, organization, prompt, admission) as ticket:
            return await self._call(hop, request, call, provider, key, sink, state, started, ticket)

    async def _call(
        self,
        hop: Target,
        request: CompletionRequest,
        call: CallContext,
        provider: LLMProvider,
        key: str | None,
        sink: ChunkSink | None,
        state: StreamState,
        started: float,
        ticket: Ticket | None,
    ) -> CompletionResponse:
        """The provider call with retries, then its usage, cost, metrics and cache entry."""
        provider_request = ProviderRequest(
            model=hop.model, messages=tuple(request.messages), params=request.generation_params()
        )
        call_started = time.perf_counter()
        timeout = provider.config.timeout
        try:
            if sink is None:
                answer = await self.retry.call(
                    lambda: answer_within(
                        timeout, hop.provider, hop.model, provider.complete(provider_request)
                    )
                )
            else:
                answer = await self.retry.call(
                    lambda: self._stream_once(provider, provider_request, sink, state, call_started),
                    may_retry=lambda: not state.started,
                )
        except LLMProviderError as exc:
            self.metrics.record_failure(hop.provider, hop.model, str(exc.error_type))
            self._bill_delivered(hop, request, state, ticket)
            raise
        except asyncio.CancelledError:  # the caller left: nothing failed, and nobody waits for the rest
            self.metrics.record_failure(hop.provider, hop.model, CANCELLED)
            self._bill_delivered(hop, request, state, ticket)
            raise
        elapsed = time.perf_counter() - call_started

        usage = self._complete_usage(hop, request, answer)
        cost = self.prices.cost(hop.provider, answer.model or hop.model, usage)
        if ticket is not None:
            ticket.used(usage, cost)
        self.metrics.record_success(
            hop.provider, hop.model, elapsed, usage.input_tokens, usage.output_tokens, cost
        )
        response = CompletionResponse(
            content=answer.content,
            provider=hop.provider,
            model=answer.model or hop.model,
            finish_reason=answer.finish_reason,
            usage=usage,
            cost_usd=cost,
            cached=False,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            request_id=call.request_id,
            requested_provider=hop.provider,
            requested_model=hop.model,
            conversation_id=request.conversation_id,
        )
        if key is not None and answer.finish_reason in CACHEABLE_FINISH:
            await self.cache.put(key, response)
        return response

    async def _stream_once(
        self,
        provider: LLMProvider,
        request: ProviderRequest,
        sink: ChunkSink,
        state: StreamState,
        call_started: float,
    ) -> ProviderResponse:
        """One streaming attempt: forward chunks, collect the answer, insist on a proper ending."""
        parts: list[str] = []
        answer: ProviderResponse | None = None
        stream = chunks_within(provider.config.timeout, provider.key, request.model, provider.stream(request))
        async for chunk in stream:
            if chunk.content:
                if not state.started:
                    state.started = True
                    state.first_chunk_at = time.perf_counter()
                    self.metrics.first_chunk.labels(provider.key, request.model).observe(
                        state.first_chunk_at - call_started
                    )
                parts.append(chunk.content)
                state.delivered.append(chunk.content)
                await sink(StreamEvent(text=chunk.content))
            if chunk.finish_reason is not None:
                answer = ProviderResponse(
                    content="".join(parts),
                    finish_reason=chunk.finish_reason,
                    usage=chunk.usage or Usage(),
                    model=request.model,
                )
        if answer is None:
            raise ProviderUnavailableError(
                f"{provider.key} stream ended without a finish reason",
                provider=provider.key,
                model=request.model,
            )
        return answer

    async def _replay(
        self,
        hit: CompletionResponse,
        request: CompletionRequest,
        call: CallContext,
        sink: ChunkSink | None,
        state: StreamState,
        started: float,
    ) -> CompletionResponse:
        """Serve a cached answer (as a single chunk when streaming); a hit costs nothing."""
        if sink is not None and hit.content:
            state.started = True
            await sink(StreamEvent(text=hit.content))
        return hit.model_copy(
            update={
                "cached": True,
                "cost_usd": 0.0,
                "latency_ms": round((time.perf_counter() - started) * 1000, 3),
                "request_id": call.request_id,
                "conversation_id": request.conversation_id,
                "hops": [],
                "fallback_used": False,
            }
        )

    def _complete_usage(self, hop: Target, request: CompletionRequest, answer: ProviderResponse) -> Usage:
        """Vendors that report no usage (some compatible servers when streaming) get counted locally."""
        if answer.usage.total_tokens > 0 or answer.usage.input_tokens > 0:
            return answer.usage
        prompt = self.tokens.count_messages(hop.provider, hop.model, list(request.messages)).tokens
        output = (
            self.tokens.count_text(hop.provider, hop.model, answer.content).tokens if answer.content else 0
        )
        return Usage.of(prompt, output)

    def _bill_delivered(
        self, hop: Target, request: CompletionRequest, state: StreamState, ticket: Ticket | None
    ) -> None:
        """A stream that ended early (cut, or its caller left) is billed for what reached the caller."""
        if state.started and ticket is not None:
            partial = self._partial_usage(hop, request, state)
            ticket.used(partial, self.prices.cost(hop.provider, hop.model, partial), partial=True)

    def _partial_usage(self, hop: Target, request: CompletionRequest, state: StreamState) -> Usage:
        """What a cut stream used: the whole prompt and the text that reached the caller, counted locally."""
        prompt = self.tokens.count_messages(hop.provider, hop.model, list(request.messages)).tokens
        output = self.tokens.count_text(hop.provider, hop.model, "".join(state.delivered)).tokens
        return Usage.of(prompt, output)

    async def _remember(
        self, request: CompletionRequest, organization: str, response: CompletionResponse
    ) -> None:
        if request.conversation_id is None:
            return
        try:
            await self.conversations.append(
                organization,
                request.conversation_id,
                Exchange(
                    request_id=response.request_id,
                    at=time.time(),
                    organization_id=organization,
                    provider=response.provider,
                    model=response.model,
                    messages=list(request.messages),
                    content=response.content,
                    finish_reason=response.finish_reason,
                    usage=response.usage,
                    cost_usd=response.cost_usd,
                    cached=response.cached,
                ),
            )
        except ServiceError:
            logger.warning("could not record conversation exchange", exc_info=True)


def _hop(hop: Target) -> dict[str, str]:
    return {"provider": hop.provider, "model": hop.model}


def _with_hops(exc: ServiceError, outcomes: list[HopOutcome], chain: list[Target]) -> ServiceError:
    """Attach the chain's outcomes to the error the caller gets (for chains of more than one hop)."""
    if len(chain) > 1:
        exc.details["hops"] = [o.model_dump() for o in outcomes]
    return exc


def _skip_error(hop: Target, skip: Skip, governance: Governance) -> ServiceError:
    """The error a call gets when every hop was skipped for this reason."""
    if skip.reason == "context_window":
        return ContextLengthExceededError(skip.detail, provider=hop.provider, model=hop.model)
    if skip.reason == "not_configured":
        return AuthenticationError(skip.detail, provider=hop.provider, model=hop.model)
    return ProviderUnavailableError(
        f"{skip.detail}; retry after the cooldown",
        provider=hop.provider,
        model=hop.model,
        retry_after=governance.breakers.cooldown,
        status=503,
    )

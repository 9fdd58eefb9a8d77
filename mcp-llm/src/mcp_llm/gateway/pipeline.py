"""The path of every completion: resolve the target, try the cache, call the provider with retries,
fall back along the chain, account for the call, remember the exchange.

Streaming follows the same path. Chunks go to the caller as they arrive; retries and fallbacks
happen only before the first chunk, and a stream cut after it is an error, never a short success.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from mcp_llm.gateway.cache import ResponseCache, cache_key
from mcp_llm.gateway.conversations import ConversationStore, Exchange
from mcp_llm.gateway.metrics import GatewayMetrics
from mcp_llm.gateway.resolution import Target, TargetResolver
from mcp_llm.gateway.retry import RetryPolicy
from mcp_llm.pricing import PriceBook
from mcp_llm.providers.base import LLMProvider, ProviderRequest, ProviderResponse
from mcp_llm.providers.registry import ProviderRegistry
from mcp_llm.tokens import TokenCounter
from mcp_shared.errors import ErrorType, LLMProviderError, ProviderUnavailableError, ServiceError
from mcp_shared.models import CompletionRequest, CompletionResponse, HopOutcome, Usage
from mcp_shared.server.tools import CallContext, StreamEvent

logger = logging.getLogger(__name__)

DEFAULT_ORGANIZATION = "default"
# Errors after which the next hop of a fallback chain is tried.
FALLBACK_ON = frozenset({ErrorType.RATE_LIMIT, ErrorType.PROVIDER_UNAVAILABLE, ErrorType.TIMEOUT})
# Answers worth caching; an error or a filtered answer is not.
CACHEABLE_FINISH = frozenset({"stop", "length"})

ChunkSink = Callable[[StreamEvent], Awaitable[None]]


@dataclass(slots=True)
class StreamState:
    """Whether the caller has already received part of an answer (then nothing may be retried)."""

    started: bool = False
    first_chunk_at: float | None = None


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
    ) -> None:
        self.providers = providers
        self.resolver = resolver
        self.cache = cache
        self.conversations = conversations
        self.tokens = tokens
        self.prices = prices
        self.retry = retry
        self.metrics = metrics

    @staticmethod
    def organization(request: CompletionRequest, call: CallContext) -> str:
        """The authenticated organization wins over the argument; the argument over the default."""
        return call.organization_id or request.organization_id or DEFAULT_ORGANIZATION

    async def complete(self, request: CompletionRequest, call: CallContext) -> CompletionResponse:
        return await self._run(request, call, sink=None)

    async def stream(self, request: CompletionRequest, call: CallContext) -> CompletionResponse:
        """Like ``complete``, sending each chunk to ``call.emit`` as it arrives."""
        return await self._run(request, call, sink=call.emit)

    # -- the hop loop ------------------------------------------------------------------------

    async def _run(
        self, request: CompletionRequest, call: CallContext, sink: ChunkSink | None
    ) -> CompletionResponse:
        started = time.perf_counter()
        organization = self.organization(request, call)
        primary = self.resolver.resolve(request.provider, request.model)
        chain = [primary, *(self.resolver.resolve(f.provider, f.model) for f in request.fallbacks)]
        state = StreamState()
        outcomes: list[HopOutcome] = []
        for index, hop in enumerate(chain):
            try:
                response = await self._answer(hop, request, call, organization, sink, state, started)
            except LLMProviderError as exc:
                outcomes.append(
                    HopOutcome(
                        provider=hop.provider,
                        model=hop.model,
                        outcome="failed",
                        reason=f"{exc.error_type}: {exc.message}",
                    )
                )
                last_hop = index == len(chain) - 1
                if last_hop or state.started or exc.error_type not in FALLBACK_ON:
                    if len(chain) > 1:
                        exc.details["hops"] = [o.model_dump() for o in outcomes]
                    raise
                logger.info(
                    "falling back",
                    extra={
                        "from": f"{hop.provider}/{hop.model}",
                        "to": f"{chain[index + 1].provider}/{chain[index + 1].model}",
                        "error_type": str(exc.error_type),
                    },
                )
                continue
            outcomes.append(HopOutcome(provider=hop.provider, model=hop.model, outcome="answered"))
            response.hops = outcomes
            response.fallback_used = index > 0
            response.requested_provider = primary.provider
            response.requested_model = primary.model
            await self._remember(request, organization, response)
            return response
        raise AssertionError("unreachable: the chain is never empty")

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
    ) -> CompletionResponse:
        params = request.generation_params()
        key = None
        if self.cache.policy.allows(hop.provider, params.temperature, request.cache):
            key = cache_key(organization, hop.provider, hop.model, request.messages, params)
            hit = await self.cache.get(key)
            self.metrics.cache.labels("hit" if hit else "miss").inc()
            if hit is not None:
                return await self._replay(hit, request, call, sink, state, started)

        provider = self.providers.get(hop.provider)
        provider_request = ProviderRequest(model=hop.model, messages=tuple(request.messages), params=params)
        call_started = time.perf_counter()
        try:
            if sink is None:
                answer = await self.retry.call(lambda: provider.complete(provider_request))
            else:
                answer = await self.retry.call(
                    lambda: self._stream_once(provider, provider_request, sink, state, call_started),
                    may_retry=lambda: not state.started,
                )
        except LLMProviderError as exc:
            self.metrics.record_failure(hop.provider, hop.model, str(exc.error_type))
            raise
        elapsed = time.perf_counter() - call_started

        usage = self._complete_usage(hop, request, answer)
        cost = self.prices.cost(hop.provider, answer.model or hop.model, usage)
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
        async for chunk in provider.stream(request):
            if chunk.content:
                if not state.started:
                    state.started = True
                    state.first_chunk_at = time.perf_counter()
                    self.metrics.first_chunk.labels(provider.key, request.model).observe(
                        state.first_chunk_at - call_started
                    )
                parts.append(chunk.content)
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

    async def _remember(
        self, request: CompletionRequest, organization: str, response: CompletionResponse
    ) -> None:
        if request.conversation_id is None:
            return
        try:
            await self.conversations.append(
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

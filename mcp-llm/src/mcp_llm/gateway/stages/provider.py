"""The innermost stages of a hop: its metrics and bill, the retry loop, and the provider adapter."""

from __future__ import annotations

import asyncio
import time

from mcp_llm.gateway.attempt import Attempt, Next
from mcp_llm.gateway.deadline import answer_within, chunks_within
from mcp_llm.gateway.metrics import GatewayMetrics
from mcp_llm.gateway.retry import RetryPolicy
from mcp_llm.pricing import PriceBook
from mcp_llm.providers.base import LLMProvider, ProviderRequest, ProviderResponse
from mcp_llm.providers.registry import ProviderRegistry
from mcp_llm.tokens import TokenCounter
from mcp_shared.errors import LLMProviderError, ProviderUnavailableError
from mcp_shared.models import CompletionResponse, Usage
from mcp_shared.server.tools import StreamEvent

CANCELLED = "cancelled"
"""The outcome of a provider call whose caller left before the answer (``llm_requests_total``)."""


class Meter:
    """Turns the provider's answer into the caller's response: usage (counted locally when the vendor
    reports none), cost and the request metrics; a stream cut or abandoned after it started is billed
    for what reached the caller."""

    def __init__(self, metrics: GatewayMetrics, tokens: TokenCounter, prices: PriceBook) -> None:
        self.metrics = metrics
        self.tokens = tokens
        self.prices = prices

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        hop = attempt.target
        attempt.call_started = time.perf_counter()
        try:
            await call_next(attempt)
        except LLMProviderError as exc:
            self.metrics.record_failure(hop.provider, hop.model, str(exc.error_type))
            self._bill_delivered(attempt)
            raise
        except asyncio.CancelledError:  # the caller left: nothing failed, and nobody waits for the rest
            self.metrics.record_failure(hop.provider, hop.model, CANCELLED)
            self._bill_delivered(attempt)
            raise
        answer = attempt.answer
        assert answer is not None, "the provider stage answers or raises"
        elapsed = time.perf_counter() - attempt.call_started
        usage = self._complete_usage(attempt, answer)
        model = answer.model or hop.model
        cost = self.prices.cost(hop.provider, model, usage)
        attempt.usage, attempt.cost_usd = usage, cost
        self.metrics.record_success(
            hop.provider, hop.model, elapsed, usage.input_tokens, usage.output_tokens, cost
        )
        attempt.response = CompletionResponse(
            content=answer.content,
            provider=hop.provider,
            model=model,
            finish_reason=answer.finish_reason,
            usage=usage,
            cost_usd=cost,
            cached=False,
            latency_ms=round((time.perf_counter() - attempt.started) * 1000, 3),
            request_id=attempt.call.request_id,
            requested_provider=hop.provider,
            requested_model=hop.model,
            conversation_id=attempt.request.conversation_id,
        )

    def _complete_usage(self, attempt: Attempt, answer: ProviderResponse) -> Usage:
        """Vendors that report no usage (some compatible servers when streaming) get counted locally."""
        if answer.usage.total_tokens > 0 or answer.usage.input_tokens > 0:
            return answer.usage
        hop = attempt.target
        prompt = self.tokens.count_messages(hop.provider, hop.model, list(attempt.request.messages)).tokens
        output = (
            self.tokens.count_text(hop.provider, hop.model, answer.content).tokens if answer.content else 0
        )
        return Usage.of(prompt, output)

    def _bill_delivered(self, attempt: Attempt) -> None:
        """What a cut stream used: the whole prompt and the text that reached the caller, counted locally."""
        if not attempt.stream.started:
            return
        hop, messages = attempt.target, list(attempt.request.messages)
        prompt = self.tokens.count_messages(hop.provider, hop.model, messages).tokens
        output = self.tokens.count_text(hop.provider, hop.model, "".join(attempt.stream.delivered)).tokens
        attempt.usage = Usage.of(prompt, output)
        attempt.cost_usd = self.prices.cost(hop.provider, hop.model, attempt.usage)
        attempt.partial = True


class Retry:
    """Retries what can pass by waiting (``gateway/retry.py``), never once part of a stream went out."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        tries = 0

        async def once() -> None:
            nonlocal tries
            tries += 1
            if tries > 1:
                attempt.retries += 1
            await call_next(attempt)

        await self.policy.call(once, may_retry=lambda: not attempt.stream.started)


class Adapter:
    """Finds the hop's provider adapter before anything is reserved for it: an unconfigured provider is
    an ``authentication`` error, a missing SDK ``provider_unavailable``, and neither reaches the provider."""

    def __init__(self, providers: ProviderRegistry) -> None:
        self.providers = providers

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        attempt.adapter = self.providers.get(attempt.target.provider)
        await call_next(attempt)


class Provide:
    """One call to the provider's adapter, bounded by its timeout; a stream forwards each chunk to the
    caller as it arrives and must end with a finish reason."""

    def __init__(self, metrics: GatewayMetrics) -> None:
        self.metrics = metrics

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        hop, provider = attempt.target, attempt.adapter
        assert provider is not None, "the adapter stage runs first"
        request = ProviderRequest(
            model=hop.model,
            messages=tuple(attempt.request.messages),
            params=attempt.request.generation_params(),
            prompt_cache=attempt.request.prompt_cache,
        )
        if attempt.sink is None:
            attempt.answer = await answer_within(
                provider.config.timeout, hop.provider, hop.model, provider.complete(request)
            )
        else:
            attempt.answer = await self._stream(attempt, provider, request)

    async def _stream(
        self, attempt: Attempt, provider: LLMProvider, request: ProviderRequest
    ) -> ProviderResponse:
        sink, state = attempt.sink, attempt.stream
        assert sink is not None
        parts: list[str] = []
        answer: ProviderResponse | None = None
        stream = chunks_within(provider.config.timeout, provider.key, request.model, provider.stream(request))
        async for chunk in stream:
            if chunk.content:
                if not state.started:
                    state.started = True
                    state.first_chunk_at = time.perf_counter()
                    self.metrics.first_chunk.labels(provider.key, request.model).observe(
                        state.first_chunk_at - attempt.call_started
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

"""``compress``: the prompt shrunk before any hop sees it (``gateway/compression.py`` says what may change).

Every stage inside sees the compressed prompt — the response cache keys on it, the context-window check
and quota reservation count it, the provider reads it — and the stages outside see the caller's own
request again on the way out (a conversation records what the caller sent). The summary of the oldest
turns is one more call through the whole chain, billed to the same organization; a summary that fails
leaves the oldest turns dropped instead.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from mcp_llm.gateway.attempt import Attempt, Next, PromptTokens
from mcp_llm.gateway.compression import (
    SUMMARY_HEADER,
    cut_all,
    cut_oldest,
    normalise,
    summary_prompt,
    with_summary,
)
from mcp_llm.providers.registry import ProviderRegistry
from mcp_llm.routing.resolution import Target, TargetResolver
from mcp_llm.side_calls import SideCalls
from mcp_llm.tokens import TokenCounter
from mcp_shared.errors import ServiceError
from mcp_shared.models import (
    ChatMessage,
    CompletionRequest,
    CompletionResponse,
    CompressionMethod,
    CompressionReport,
    CompressOptions,
)

logger = logging.getLogger(__name__)

SUMMARY_MARGIN = 1.25
"""The summary's room is its token bound times this: the summarising model may count tokens differently."""
MIN_SUMMARY_TOKENS = 32


@dataclass(frozen=True, slots=True)
class CompressionConfig:
    summary_model: str | None = None
    """``provider/model`` writing every summary; unset: the requested provider's cheap model."""
    summary_max_tokens: int = 512


class Compress:
    """Per call, before the hops: normalise, deduplicate and, over ``target_tokens``, summarise or drop the
    oldest turns; the answer carries ``compression`` (tokens before and after)."""

    def __init__(
        self,
        config: CompressionConfig,
        tokens: TokenCounter,
        resolver: TargetResolver,
        providers: ProviderRegistry,
        side_calls: SideCalls,
    ) -> None:
        self.config = config
        self.tokens = tokens
        self.resolver = resolver
        self.providers = providers
        self.side_calls = side_calls

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        options = attempt.request.compress
        if options is None:
            await call_next(attempt)
            return
        original, prompt = attempt.request, attempt.prompt
        messages, report = await self._compress(attempt, options)
        attempt.request = original.model_copy(update={"messages": messages})
        attempt.prompt = PromptTokens(self.tokens, attempt.request)
        try:
            await call_next(attempt)
        finally:
            attempt.request, attempt.prompt = original, prompt
        if attempt.response is not None:
            attempt.response = attempt.response.model_copy(update={"compression": report})

    async def _compress(
        self, attempt: Attempt, options: CompressOptions
    ) -> tuple[list[ChatMessage], CompressionReport]:
        primary = attempt.primary

        def size(messages: Sequence[ChatMessage]) -> int:
            return self.tokens.count_messages(primary.provider, primary.model, list(messages)).tokens

        given = list(attempt.request.messages)
        before = size(given)
        messages = normalise(given)
        method: CompressionMethod = "normalize" if messages != given else "none"
        removed = len(given) - len(messages)
        target, summary = options.target_tokens, None
        if target is not None and size(messages) > target:
            if options.oldest_turns == "summarize":
                budget = max(MIN_SUMMARY_TOKENS, min(self.config.summary_max_tokens, target // 4))
                header = ChatMessage(role="user", content=SUMMARY_HEADER.format(count=len(messages)))
                reserve = size([header]) - size([]) + round(budget * SUMMARY_MARGIN)
                cut = cut_oldest(messages, size, target, reserve)
                if cut is not None and cut.removed:
                    summary = await self._summarise(attempt, cut.removed, budget)
                    if summary is not None:
                        messages, method = with_summary(cut, summary.content), "summarize"
                        removed += len(cut.removed)
            if summary is None:
                cut = cut_oldest(messages, size, target) or cut_all(messages)
                if cut.removed:
                    messages, method = cut.kept, "drop"
                    removed += len(cut.removed)
        after = size(messages)
        return messages, CompressionReport(
            tokens_before=before,
            tokens_after=after,
            method=method,
            target_tokens=target,
            target_met=target is None or after <= target,
            removed_messages=removed,
            summary_cost_usd=summary.cost_usd if summary else 0.0,
            summary_request_id=summary.request_id if summary else None,
        )

    def _summary_target(self, primary: Target) -> Target:
        if self.config.summary_model:
            return self.resolver.resolve(None, self.config.summary_model)
        return Target(primary.provider, self.providers.summary_model(primary.provider) or primary.model)

    async def _summarise(
        self, attempt: Attempt, removed: list[ChatMessage], budget: int
    ) -> CompletionResponse | None:
        """The summary call through the whole chain, billed to the call's organization; None if it fails."""
        call = dataclasses.replace(
            attempt.call, request_id=f"{attempt.call.request_id}.summary", streaming=False
        )
        try:
            target = self._summary_target(attempt.primary)
            request = CompletionRequest(
                provider=target.provider,
                model=target.model,
                messages=summary_prompt(removed, words=budget * 3 // 4),
                max_tokens=budget,
                temperature=0.0,
                organization_id=attempt.organization or None,
                priority=attempt.request.priority,
            )
            answer = await self.side_calls.complete(request, call)
        except ServiceError as exc:
            logger.warning("compression summary failed, dropping the oldest turns: %s", exc.message)
            return None
        if not answer.content.strip():
            return None
        return answer

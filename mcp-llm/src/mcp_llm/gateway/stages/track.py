"""The stage that remembers whose each answered request was, so feedback can name it later."""

from __future__ import annotations

from mcp_llm.feedback.store import FeedbackStore, RequestRecord
from mcp_llm.gateway.attempt import Attempt, Next


class Track:
    """Outermost, so it sees the answer as the caller gets it (with its experiment and variant) and
    the organization routing settled on. Remembering never fails a call (the store swallows outages)."""

    def __init__(self, store: FeedbackStore) -> None:
        self.store = store

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        await call_next(attempt)
        response = attempt.response
        if response is None:
            return
        await self.store.remember(
            RequestRecord(
                request_id=response.request_id,
                organization=attempt.organization,
                provider=response.provider,
                model=response.model,
                episode_id=attempt.request.episode_id,
                experiment=response.experiment,
                variant=response.variant,
                latency_ms=response.latency_ms,
                cost_usd=response.cost_usd,
            )
        )

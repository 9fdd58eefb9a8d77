"""The stage that records each answer's quality signals (``mcp_llm/quality``)."""

from __future__ import annotations

from mcp_llm.gateway.attempt import Attempt, Next
from mcp_llm.quality.signals import QualitySignals


class Signals:
    """Outside ``Assign``, so it sees the variant the answer came from; after every hop, so it sees the
    answer the caller got."""

    def __init__(self, signals: QualitySignals) -> None:
        self.signals = signals

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        await call_next(attempt)
        if attempt.response is None:
            return
        first = attempt.stream.first_chunk_at
        self.signals.record(attempt.response, None if first is None else first - attempt.started)

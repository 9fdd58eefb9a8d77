"""The stage that records each answer's quality signals (``mcp_llm/quality``)."""

from __future__ import annotations

from mcp_llm.gateway.attempt import Attempt, Next
from mcp_llm.quality.checks import json_outcome, json_validator
from mcp_llm.quality.signals import QualitySignals


class Signals:
    """Outside ``Assign``, so it sees the variant the answer came from; after every hop, so it sees the
    answer the caller got. A caller's JSON Schema is checked before any provider is called."""

    def __init__(self, signals: QualitySignals) -> None:
        self.signals = signals

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        wanted = attempt.request.response_format
        asked_json = wanted is not None and wanted.wants_json()
        validator = json_validator(wanted) if asked_json else None
        await call_next(attempt)
        response = attempt.response
        if response is None:
            return
        first = attempt.stream.first_chunk_at
        self.signals.record(
            attempt.organization,
            response,
            None if first is None else first - attempt.started,
            retries=attempt.retries,
            json_outcome=json_outcome(response.content, validator) if asked_json else None,
        )

"""The stage that offers a sample of answers to the judge (``mcp_llm/quality/judge.py``)."""

from __future__ import annotations

from mcp_llm.gateway.attempt import Attempt, Next
from mcp_llm.quality.judge import Judge, Sample


class Judging:
    """Outside ``Assign``, so the sample carries the variant that answered. It adds no I/O to the call:
    a random draw and, for a sampled answer, a ``put_nowait`` on the judge's bounded queue."""

    def __init__(self, judge: Judge | None) -> None:
        self.judge = judge

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        await call_next(attempt)
        response = attempt.response
        if self.judge is None or response is None or not self.judge.sampled():
            return
        asked = "\n".join(f"{m.role}: {m.content}" for m in attempt.request.messages)
        self.judge.enqueue(
            Sample(
                organization=attempt.organization,
                request_id=response.request_id,
                provider=response.provider,
                model=response.model,
                variant=response.variant,
                asked=asked,
                answer=response.content,
            )
        )

"""What the vendor's prompt cache saved on a hop, reported on the response.

The adapters mark the stable prefix (``providers/prompt_cache.py``); the vendor bills cached reads
(and writes) at their own rates, which the meter already prices exactly. The saving is the same usage
priced as if every input token were plain input, minus what was billed: a cache write that is never
read shows as a negative saving, which is the truth about it.
"""

from __future__ import annotations

from mcp_llm.gateway.attempt import Attempt, Next
from mcp_llm.pricing import PriceBook
from mcp_shared.models import Usage


class CacheSaving:
    """Sets ``cache_saving_usd`` on the hop's response from its usage and the price book."""

    def __init__(self, prices: PriceBook) -> None:
        self.prices = prices

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        await call_next(attempt)
        response, usage = attempt.response, attempt.usage
        if response is None or usage is None or not (usage.cache_read_tokens or usage.cache_write_tokens):
            return
        plain = Usage.of(usage.input_tokens, usage.output_tokens, reasoning_tokens=usage.reasoning_tokens)
        saving = self.prices.cost(response.provider, response.model, plain) - attempt.cost_usd
        attempt.response = response.model_copy(update={"cache_saving_usd": round(saving, 12)})

"""The usage ledger: what each organization used, per provider, model and UTC day, for reports and billing.

Daily counters (``state/daily_counters.py``): buffered and written to Redis in the background, or
kept in-process without Redis; a failed write is retried, so a Redis outage delays usage but does not
lose it. Dollars are stored as integer nano-dollars, so sums are exact.
"""

from __future__ import annotations

import math

from mcp_llm.state.daily_counters import CounterLayout, DailyCounters
from mcp_shared.models import Usage

NANO = 1_000_000_000
FIELDS = (
    "requests",
    "cached_requests",
    "failed_requests",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cost_nusd",
)
USAGE = CounterLayout("gov:usage", ("provider", "model"), FIELDS)


class UsageLedger(DailyCounters):
    """Rows keyed (organization, day, provider, model)."""

    def record(
        self,
        organization: str,
        provider: str,
        model: str,
        usage: Usage,
        cost_usd: float,
        *,
        cached: bool = False,
        failed: bool = False,
    ) -> None:
        """Add one call's usage (a cache hit counts as a request that cost nothing)."""
        self.count(
            (organization, self.today(), provider, model),
            {
                "requests": 1,
                "cached_requests": int(cached),
                "failed_requests": int(failed),
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "cache_read_tokens": usage.cache_read_tokens,
                "cache_write_tokens": usage.cache_write_tokens,
                "reasoning_tokens": usage.reasoning_tokens,
                "cost_nusd": math.floor(cost_usd * NANO + 0.5),
            },
        )

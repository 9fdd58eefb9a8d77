"""Quality totals per organization, UTC day, provider, model and experiment variant, for ``quality_report``.

Daily counters (``state/daily_counters.py``), like the usage ledger: buffered and written to Redis in
the background (kept across restarts, shared between replicas), or kept in-process without Redis.
"""

from __future__ import annotations

from mcp_llm.state.daily_counters import CounterLayout, DailyCounters

FIELDS = (
    "responses",
    "truncated",
    "content_filtered",
    "refusals",
    "empty",
    "json_requested",
    "json_valid",
    "json_unparsable",
    "json_schema_mismatch",
    "retries",
    "fallbacks",
    "rate_count",
    "rate_milli",
    "ttft_count",
    "ttft_us",
    "cost_nusd",
    "judged",
    "judge_score_micro",
)
"""``rate_milli``: output tokens per second x 1000 summed over ``rate_count`` answers; ``ttft_us``:
microseconds to the first streamed token over ``ttft_count`` streams; ``judge_score_micro``: the
judge's scores x 10^6 over ``judged`` answers."""
QUALITY = CounterLayout("llm-quality", ("provider", "model", "variant"), FIELDS)


class QualityLedger(DailyCounters):
    """Rows keyed (organization, day, provider, model, variant)."""

    def add(
        self, organization: str, provider: str, model: str, variant: str, amounts: dict[str, int]
    ) -> None:
        """Add increments to today's row (no I/O: the buffer is written in the background)."""
        self.count((organization, self.today(), provider, model, variant), amounts)

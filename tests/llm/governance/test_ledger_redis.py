"""The usage ledger on a real Redis server: buffered writes, exact sums, and no loss across an outage."""

from __future__ import annotations

import time

import pytest
from prometheus_client import CollectorRegistry

from mcp_llm.governance.ledger import USAGE, UsageLedger
from mcp_llm.governance.metrics import GovernanceMetrics
from mcp_llm.state.daily_counters import RedisCounterStore, day_label
from mcp_llm.state.redis_link import RedisLink
from mcp_shared.models import Usage
from tests.conftest import RedisServer
from tests.llm.governance.conftest import unique

pytestmark = pytest.mark.redis


async def test_usage_survives_a_redis_outage_and_sums_exactly(private_redis: RedisServer) -> None:
    redis = private_redis
    link = RedisLink(redis.url, timeout=0.3, retry_interval=0.1)
    registry = CollectorRegistry()
    failures = GovernanceMetrics(registry).usage_write_failures
    ledger = UsageLedger(RedisCounterStore(link, USAGE), flush_interval=3600, on_write_failure=failures.inc)
    org, today = unique("ledger"), day_label(time.time())
    try:
        for _ in range(3):
            ledger.record(org, "openai", "gpt-5-mini", Usage.of(100, 10, cache_read_tokens=40), 0.1)
        assert await ledger.flush()
        redis.stop()
        ledger.record(org, "openai", "gpt-5-mini", Usage.of(100, 10), 0.2, cached=False)
        ledger.record(org, "mock", "mock-1", Usage(), 0.0, cached=True)
        assert not await ledger.flush()  # kept, not lost
        assert ledger.pending() == 2
        assert registry.get_sample_value("llm_usage_write_failures_total") == 1.0
        redis.start()  # same port, empty: only what was buffered during the outage comes back
        time.sleep(0.2)
        rows = await ledger.read([today], org)
        assert rows is not None
        by_model = {model: values for (_, _, _, model), values in rows.items()}
        assert by_model["gpt-5-mini"]["requests"] == 1 and by_model["gpt-5-mini"]["cost_nusd"] == 200_000_000
        assert by_model["mock-1"]["cached_requests"] == 1
        assert ledger.pending() == 0
        # Ten records of $0.1 add up to exactly $1 (floats would drift).
        for _ in range(10):
            ledger.record(org, "openai", "gpt-4.1", Usage.of(1, 1), 0.1)
        await ledger.flush()
        rows = await ledger.read([today], org)
        assert rows is not None
        assert rows[(org, today, "openai", "gpt-4.1")]["cost_nusd"] == 1_000_000_000
    finally:
        await link.aclose()

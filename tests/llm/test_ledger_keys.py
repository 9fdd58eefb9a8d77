"""The usage and quality ledgers' Redis layout, byte for byte: keys, hash fields, the per-day set of
organizations and their expiry. Stored data outlives releases, so a change here would orphan it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from urllib.parse import unquote

import pytest
import redis.asyncio as redis

from mcp_llm.governance.ledger import USAGE, UsageLedger
from mcp_llm.quality.ledger import QUALITY, QualityLedger
from mcp_llm.state.daily_counters import DailyCounters, RedisCounterStore, day_label
from mcp_llm.state.redis_link import RedisLink
from mcp_shared.models import Usage
from tests.conftest import RedisServer

pytestmark = pytest.mark.redis

ORG = "acme/eu"  # characters that are quoted in keys and fields, and kept as they are in the set
MODEL = "org/model:v1"
RETENTION_DAYS = 3


def usage_ledger(link: RedisLink) -> UsageLedger:
    return UsageLedger(RedisCounterStore(link, USAGE), RETENTION_DAYS, flush_interval=3600)


def quality_ledger(link: RedisLink) -> QualityLedger:
    return QualityLedger(RedisCounterStore(link, QUALITY), RETENTION_DAYS, flush_interval=3600)


def by_key(rows: dict[tuple[str, ...], dict[str, int]] | None) -> dict[tuple[str, ...], dict[str, int]]:
    """What a ledger read returned, as (organization, day, key parts...) -> non-zero values."""
    assert rows is not None
    return {key: {k: v for k, v in values.items() if v} for key, values in rows.items()}


@pytest.fixture
async def link(private_redis: RedisServer) -> AsyncIterator[RedisLink]:
    link = RedisLink(private_redis.url)
    yield link
    await link.aclose()


@pytest.fixture
async def client(private_redis: RedisServer) -> AsyncIterator[redis.Redis]:
    """A plain client, to see what the ledgers stored with nothing of theirs in between."""
    client = redis.Redis.from_url(private_redis.url, decode_responses=True)
    yield client
    await client.aclose()


async def raw_state(client: redis.Redis) -> dict[str, object]:
    """Every key and its content; every key expires after the retention."""
    state: dict[str, object] = {}
    for key in sorted(await client.keys("*")):
        kind = await client.type(key)
        state[key] = await client.hgetall(key) if kind == "hash" else await client.smembers(key)
        assert RETENTION_DAYS * 86_400 - 5 <= await client.ttl(key) <= RETENTION_DAYS * 86_400
    return state


async def assert_reads_stored(ledger: DailyCounters, client: redis.Redis, prefix: str, field: str) -> None:
    """Data stored in this layout before (organization old/org, a day long past) reads back, for that
    organization and for all of them; ``field`` is ``part|part|...|name`` with quoted parts."""
    await client.hset(f"{prefix}:{{old%2Forg}}:2025-01-02", field, "7")
    await client.sadd(f"{prefix}:orgs:2025-01-02", "old/org")
    *parts, name = field.split("|")
    expected = {("old/org", "2025-01-02", *map(unquote, parts)): {name: 7}}
    assert by_key(await ledger.read(["2025-01-02"], None)) == expected
    assert by_key(await ledger.read(["2025-01-02"], "old/org")) == expected


async def test_the_usage_ledgers_keys_and_fields(link: RedisLink, client: redis.Redis) -> None:
    ledger, today = usage_ledger(link), day_label(time.time())
    ledger.record(ORG, "openai", MODEL, Usage.of(100, 10, cache_read_tokens=40), 0.25)
    ledger.record(ORG, "openai", MODEL, Usage(), 0.0, cached=True)
    ledger.record("beta", "mock", "mock-1", Usage.of(1, 2), 0.0, failed=True)
    assert await ledger.flush()
    assert await raw_state(client) == {
        f"gov:usage:orgs:{today}": {ORG, "beta"},
        f"gov:usage:{{acme%2Feu}}:{today}": {
            "openai|org%2Fmodel%3Av1|requests": "2",
            "openai|org%2Fmodel%3Av1|cached_requests": "1",
            "openai|org%2Fmodel%3Av1|input_tokens": "100",
            "openai|org%2Fmodel%3Av1|output_tokens": "10",
            "openai|org%2Fmodel%3Av1|cache_read_tokens": "40",
            "openai|org%2Fmodel%3Av1|cost_nusd": "250000000",
        },
        f"gov:usage:{{beta}}:{today}": {
            "mock|mock-1|requests": "1",
            "mock|mock-1|failed_requests": "1",
            "mock|mock-1|input_tokens": "1",
            "mock|mock-1|output_tokens": "2",
        },
    }
    await assert_reads_stored(ledger, client, "gov:usage", "anthropic|claude%7Cx|output_tokens")
    assert by_key(await ledger.read([today], ORG))[(ORG, today, "openai", MODEL)]["requests"] == 2


async def test_the_quality_ledgers_keys_and_fields(link: RedisLink, client: redis.Redis) -> None:
    ledger, today = quality_ledger(link), day_label(time.time())
    ledger.add(ORG, "mock", MODEL, "b|c", {"responses": 2, "truncated": 1, "cost_nusd": 5, "judged": 0})
    ledger.add("beta", "openai", "gpt-5", "none", {"responses": 1, "ttft_us": 1500, "ttft_count": 1})
    assert await ledger.flush()
    assert await raw_state(client) == {
        f"llm-quality:orgs:{today}": {ORG, "beta"},
        f"llm-quality:{{acme%2Feu}}:{today}": {
            "mock|org%2Fmodel%3Av1|b%7Cc|responses": "2",
            "mock|org%2Fmodel%3Av1|b%7Cc|truncated": "1",
            "mock|org%2Fmodel%3Av1|b%7Cc|cost_nusd": "5",
        },
        f"llm-quality:{{beta}}:{today}": {
            "openai|gpt-5|none|responses": "1",
            "openai|gpt-5|none|ttft_us": "1500",
            "openai|gpt-5|none|ttft_count": "1",
        },
    }
    await assert_reads_stored(ledger, client, "llm-quality", "mock|m%2F1|a%7Cz|refusals")
    assert by_key(await ledger.read([today], ORG))[(ORG, today, "mock", MODEL, "b|c")]["truncated"] == 1

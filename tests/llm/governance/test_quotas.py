"""Quota reservations: atomic under concurrency, reconciled, released, and explicit when refused.

Each scenario runs on the in-process store and on a real Redis server (the Lua script).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry

from mcp_llm.governance.metrics import GovernanceMetrics
from mcp_llm.governance.quota_store import MemoryQuotaStore, QuotaStore, RedisQuotaStore
from mcp_llm.governance.quotas import QuotaManager, QuotaPolicy, Reservation
from mcp_llm.settings.governance import QuotaLimits
from mcp_llm.state.redis_link import RedisLink
from mcp_shared.errors import QuotaExceededError
from tests.conftest import RedisServer
from tests.llm.governance.conftest import unique


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[QuotaStore]:
    if request.param == "memory":
        yield MemoryQuotaStore()
        return
    redis_server: RedisServer = request.getfixturevalue("redis_server")
    link = RedisLink(redis_server.url)
    yield RedisQuotaStore(link)
    await link.aclose()


def manager(store: QuotaStore, quotas: dict[str, QuotaLimits]) -> QuotaManager:
    return QuotaManager(QuotaPolicy(quotas), store, GovernanceMetrics(CollectorRegistry()))


async def test_fifty_concurrent_reservations_against_a_budget_of_ten(store: QuotaStore) -> None:
    org = unique("atomic")
    quotas = manager(store, {org: QuotaLimits(tokens_per_day=10 * 300, usd_per_month=10 * 0.003)})

    async def one() -> Reservation | None:
        try:
            return await quotas.reserve(org, tokens=300, usd=0.003)
        except QuotaExceededError:
            return None

    results = await asyncio.gather(*(one() for _ in range(50)))
    granted = [r for r in results if r is not None]
    assert len(granted) == 10
    status = {s["quota"]: s for s in await quotas.status(org)}
    assert status["tokens_per_day"]["used"] == 3000
    assert status["usd_per_month"]["used"] == pytest.approx(0.03)


async def test_settle_corrects_to_real_usage_and_release_gives_everything_back(store: QuotaStore) -> None:
    org = unique("settle")
    quotas = manager(store, {org: QuotaLimits(requests_per_minute=100, tokens_per_day=10_000)})
    first = await quotas.reserve(org, tokens=1_000, usd=0.0)
    second = await quotas.reserve(org, tokens=1_000, usd=0.0)
    assert first is not None and second is not None
    await first.settle(tokens=240, usd=0.0)
    await second.release()
    await second.release()  # idempotent
    used = {s["quota"]: s["used"] for s in await quotas.status(org)}
    assert used == {"requests_per_minute": 1, "tokens_per_day": 240}


async def test_refusal_names_the_quota_limit_usage_and_reset(store: QuotaStore) -> None:
    org = unique("refused")
    quotas = manager(store, {"default": QuotaLimits(requests_per_day=2)})
    await quotas.reserve(org, 0, 0.0)
    await quotas.reserve(org, 0, 0.0)
    with pytest.raises(QuotaExceededError) as raised:
        await quotas.reserve(org, 0, 0.0)
    body = raised.value.to_payload()["error"]
    assert body["type"] == "quota_exceeded"
    assert (body["quota"], body["limit"], body["usage"], body["organization"]) == (
        "requests_per_day",
        2,
        2,
        org,
    )
    assert body["resets_at"].endswith("T00:00:00Z")
    assert 0 < body["retry_after"] <= 86_400


async def test_a_call_that_can_never_fit_says_so_without_a_retry_after(store: QuotaStore) -> None:
    org = unique("never")
    quotas = manager(store, {org: QuotaLimits(tokens_per_minute=100)})
    with pytest.raises(QuotaExceededError) as raised:
        await quotas.reserve(org, tokens=500, usd=0.0)
    assert raised.value.retry_after is None and "lower max_tokens" in raised.value.message


async def test_a_free_call_is_not_refused_by_a_spent_dollar_budget(store: QuotaStore) -> None:
    org = unique("free")
    quotas = manager(store, {org: QuotaLimits(usd_per_day=0.01)})
    spent = await quotas.reserve(org, tokens=10, usd=0.01)
    assert spent is not None
    await spent.settle(tokens=10, usd=0.02)  # the vendor reported more than estimated
    assert await quotas.reserve(org, tokens=10, usd=0.0) is not None
    with pytest.raises(QuotaExceededError):
        await quotas.reserve(org, tokens=10, usd=0.0001)


async def test_spend_charged_after_the_fact_is_counted_past_the_limit(store: QuotaStore) -> None:
    org = unique("charge")
    limits = QuotaLimits(requests_per_day=5, tokens_per_day=1_000, usd_per_month=0.01)
    quotas = manager(store, {org: limits})
    await quotas.charge(org, tokens=600, usd=0.004)  # fresh counters: created by the charge
    await quotas.charge(org, tokens=600, usd=0.008)  # past both limits: recorded all the same
    used = {s["quota"]: s["used"] for s in await quotas.status(org)}
    assert used == {"requests_per_day": 0, "tokens_per_day": 1_200, "usd_per_month": pytest.approx(0.012)}
    with pytest.raises(QuotaExceededError) as raised:  # the next call is refused as usual
        await quotas.reserve(org, tokens=10, usd=0.0)
    assert raised.value.details["quota"] == "tokens_per_day" and raised.value.details["usage"] == 1_200
    if isinstance(store, RedisQuotaStore):  # a counter the charge created expires with its window
        key = f"gov:quota:{{{org}}}:tokens:day:"
        keys = [k async for k in store.link.client.scan_iter(match=key + "*")]
        assert len(keys) == 1 and 0 < await store.link.client.ttl(keys[0]) <= 86_400 + 60


async def test_room_is_checked_against_what_is_left_of_each_dollar_quota(store: QuotaStore) -> None:
    org = unique("room")
    quotas = manager(store, {org: QuotaLimits(tokens_per_day=10, usd_per_day=0.01)})
    await quotas.require_room(org, 0.01, "the job", "items")  # exactly what is left fits; tokens unchecked
    await quotas.charge(org, tokens=0, usd=0.004)
    with pytest.raises(QuotaExceededError) as raised:
        await quotas.require_room(org, 0.007, "the job", "items")
    error = raised.value
    assert (error.details["field"], error.details["quota"]) == ("items", "usd_per_day")
    assert error.details["usage"] == pytest.approx(0.004)
    assert error.details["requested"] == pytest.approx(0.007)
    assert error.retry_after is not None and "the job needs up to 0.007" in error.message
    with pytest.raises(QuotaExceededError) as never:
        await quotas.require_room(org, 0.02, "the job", "items")
    assert never.value.retry_after is None and never.value.message.startswith("the job alone needs 0.02")
    used = {s["quota"]: s["used"] for s in await quotas.status(org)}
    assert used == {"tokens_per_day": 0, "usd_per_day": pytest.approx(0.004)}  # checking reserved nothing


def test_organization_entries_override_the_default_field_by_field() -> None:
    policy = QuotaPolicy(
        {
            "default": QuotaLimits(requests_per_minute=60, usd_per_month=100),
            "big": QuotaLimits(usd_per_month=1_000),
            "free": QuotaLimits.model_validate({"requests_per_minute": None}),
        }
    )
    names = lambda org: {(x.name, x.value) for x in policy.limits_for(org)}  # noqa: E731
    assert names("anyone") == {("requests_per_minute", 60), ("usd_per_month", 100 * 10**9)}
    assert names("big") == {("requests_per_minute", 60), ("usd_per_month", 1_000 * 10**9)}
    assert names("free") == {("usd_per_month", 100 * 10**9)}


@pytest.mark.redis
async def test_redis_down_falls_back_to_this_replica_and_recovers(private_redis: RedisServer) -> None:
    redis = private_redis
    link = RedisLink(redis.url, timeout=0.3, retry_interval=0.2)
    org = unique("outage")
    quotas = QuotaManager(
        QuotaPolicy({org: QuotaLimits(requests_per_minute=3)}),
        RedisQuotaStore(link),
        GovernanceMetrics(CollectorRegistry()),
        fallback=MemoryQuotaStore(),
    )
    try:
        assert await quotas.reserve(org, 0, 0.0) is not None
        redis.stop()
        # Redis is gone: this replica keeps enforcing the limit, from the last count Redis gave it (1).
        for _ in range(2):
            assert await quotas.reserve(org, 0, 0.0) is not None
        with pytest.raises(QuotaExceededError):
            await quotas.reserve(org, 0, 0.0)
        redis.start()
        await asyncio.sleep(0.3)
        assert await quotas.reserve(org, 0, 0.0) is not None  # back on the shared (empty) counters
    finally:
        await link.aclose()


@pytest.mark.redis
async def test_a_caller_that_gives_up_mid_reservation_gets_nothing_held(redis_server: RedisServer) -> None:
    """On Redis a reservation is in flight for a round trip; a caller cancelled meanwhile must not leak it."""
    link = RedisLink(redis_server.url)
    org = unique("cancelled")
    quotas = manager(RedisQuotaStore(link), {org: QuotaLimits(requests_per_day=5, tokens_per_day=1_000)})
    task = asyncio.create_task(quotas.reserve(org, tokens=200, usd=0.0))
    await asyncio.sleep(0)  # the reservation is on its way
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.3)  # the round trip lands, then what it got is given back in the background
    used = {s["quota"]: s["used"] for s in await quotas.status(org)}
    assert used == {"requests_per_day": 0, "tokens_per_day": 0}
    assert await quotas.reserve(org, tokens=1_000, usd=0.0) is not None  # the whole budget is free
    await link.aclose()

"""A vendor batch job's spend counts against its organization's token and dollar quotas like ordinary
calls: charged once when its results are ingested (also across a restart and between replicas), recorded
in full even past a limit (the calls after it are then refused), alerted on by the budget alerts, and
refused at submission when its estimate alone exceeds the dollar quota left. A fan-out job is charged by
the chain, once.

In-process services (the quota counters are read where they live) against the vendors' batch fakes,
driven through the official SDKs; the job store is SQLite or Redis, the counters in memory or Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import genai_prices
import pytest

from mcp_llm.service import LLMService
from mcp_llm.settings import LLMSettings
from mcp_llm.settings.governance import QuotaLimits
from mcp_shared.errors import QuotaExceededError
from mcp_shared.models import CompletionRequest
from mcp_shared.server.tools import CallContext
from tests.conftest import TEST_OPENAI_KEY, RedisServer
from tests.fakes.batches import INPUT, OPENAI_BATCHES, OUTPUT, FakeBatch, Plan
from tests.fakes.server import FakeServer, Script
from tests.llm.governance.test_budget_alerts import Receiver

pytestmark = pytest.mark.timeout(180)

MODEL = "gpt-5-mini"
MAX_TOKENS = 500
"""Each request's bound; the fake answers ``OUTPUT`` (as many) tokens, so the estimate is below the spend."""

Build = Callable[..., Awaitable[LLMService]]


def batch_price(input_tokens: int = INPUT, output_tokens: int = OUTPUT) -> float:
    """One request's cost at OpenAI's batch rate, from genai-prices itself."""
    priced = genai_prices.calc_price(
        genai_prices.Usage(input_tokens=input_tokens, output_tokens=output_tokens),
        MODEL,
        provider_id="openai",
        price_context={"processing": "batch"},
    )
    return float(priced.total_price)


def org(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def caller(organization: str) -> CallContext:
    return CallContext(transport="http", organization_id=organization)


@pytest.fixture
async def build(
    fake_openai: tuple[FakeServer, Script], tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[LLMService]]]:
    """Starts in-process mcp-llm services on the OpenAI fake (one SQLite job store per test unless Redis
    is given); every one still running is stopped at the end."""
    started: list[LLMService] = []

    async def start(**overrides: Any) -> LLMService:
        settings: dict[str, Any] = {
            "openai_api_key": TEST_OPENAI_KEY,
            "openai_base_url": f"{fake_openai[0].url}/v1",
            "batch_store_path": str(tmp_path / "jobs.db"),
            "batch_poll_interval": 0.1,
            "batch_poll_max_interval": 0.4,
            **overrides,
        }
        svc = LLMService(LLMSettings(_env_file=None, **settings))  # type: ignore[call-arg]
        await svc.start()
        started.append(svc)
        return svc

    yield start
    for svc in started:
        if not getattr(svc, "stopped", False):
            await svc.stop()


async def stop(svc: LLMService) -> None:
    await svc.stop()
    svc.stopped = True  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fresh_plans() -> Iterator[None]:
    OPENAI_BATCHES.reset()
    yield
    OPENAI_BATCHES.reset()


async def tool(svc: LLMService, name: str, organization: str, body: dict[str, Any]) -> dict[str, Any]:
    spec = svc.tools.get(name)
    args = svc.tools.parse_arguments(spec, {**body, "organization_id": organization})
    return (await svc.tools.run(spec, args, caller(organization))).model_dump()


async def submit(svc: LLMService, organization: str, count: int, model: str = MODEL) -> dict[str, Any]:
    items = [
        {
            "id": f"q{n}",
            "model": model,
            "max_tokens": MAX_TOKENS,
            "messages": [{"role": "user", "content": f"Question {n}: what colour is the sky?"}],
        }
        for n in range(count)
    ]
    return await tool(svc, "submit_batch", organization, {"items": items})


async def wait_for_end(svc: LLMService, organization: str, job_id: str) -> dict[str, Any]:
    async with asyncio.timeout(60):
        while True:
            job = await tool(svc, "get_batch", organization, {"id": job_id})
            if job["state"] in ("completed", "failed", "expired", "cancelled"):
                return job
            await asyncio.sleep(0.1)


async def quotas(svc: LLMService, organization: str) -> dict[str, dict[str, Any]]:
    """``usage_report``'s quotas section, by quota name."""
    report = await tool(svc, "usage_report", organization, {"period": "today"})
    return {q["quota"]: q for q in report["quotas"]}


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if await check():
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def charged(svc: LLMService, organization: str, quota: str) -> bool:
    return bool((await quotas(svc, organization))[quota]["used"])


async def spent(svc: LLMService, organization: str) -> dict[str, dict[str, Any]]:
    """The quota status once the job's results were ingested (the job shows as ended a moment before its
    usage is charged), after every poller has had ten more polls in which to charge it twice."""
    await eventually(lambda: charged(svc, organization, "tokens_per_day"), "the charge")
    await asyncio.sleep(1.0)
    return await quotas(svc, organization)


def vendor_job(job_id: str) -> FakeBatch:
    return next(j for j in OPENAI_BATCHES.jobs.values() if j.metadata == {"gateway_job": job_id})  # type: ignore[attr-defined]


def assert_charged_once(status: dict[str, dict[str, Any]], requests: int) -> None:
    assert status["tokens_per_day"]["used"] == requests * (INPUT + OUTPUT)
    assert status["usd_per_day"]["used"] == pytest.approx(requests * batch_price(), abs=2e-9)


@pytest.mark.parametrize("state", ["memory", "redis"])
async def test_a_job_is_charged_to_the_quota_once_across_a_restart(
    build: Build, state: str, request: pytest.FixtureRequest
) -> None:
    organization = org("batch-quota")
    settings: dict[str, Any] = {"quotas": {organization: QuotaLimits(tokens_per_day=10**6, usd_per_day=5.0)}}
    if state == "redis":
        redis: RedisServer = request.getfixturevalue("redis_server")
        settings["redis_url"] = redis.url
    OPENAI_BATCHES.plans.append(Plan(polls=8))
    first = await build(**settings)
    job = await submit(first, organization, 3)
    vendor = vendor_job(job["id"])

    async def polled() -> bool:
        return vendor.polls >= 2

    await eventually(polled, "two polls", 30)
    assert (await quotas(first, organization))["tokens_per_day"]["used"] == 0  # nothing charged mid-job
    await stop(first)  # the job is still running at the vendor
    assert vendor.ended is None

    replicas = [await build(**settings)] + ([await build(**settings)] if state == "redis" else [])
    ended = await wait_for_end(replicas[0], organization, job["id"])
    assert ended["state"] == "completed" and ended["counts"]["succeeded"] == 3
    assert ended["cost_usd"] == pytest.approx(3 * batch_price(), rel=1e-9)
    for replica in replicas:  # with Redis both replicas polled it; one charged it
        status = await spent(replica, organization)
        assert_charged_once(status, 3)
        report = await tool(replica, "usage_report", organization, {"period": "today"})
        assert report["totals"]["requests"] == 3
        assert report["totals"]["cost_usd"] == pytest.approx(status["usd_per_day"]["used"], abs=2e-9)


async def test_a_job_past_the_dollar_quota_is_recorded_and_the_next_call_is_refused(build: Build) -> None:
    organization = org("batch-over")
    spend = 3 * batch_price()
    limit = round(spend * 0.95, 9)  # the estimate (prompts of a few tokens, 500 out) fits; the spend does not
    svc = await build(quotas={organization: QuotaLimits(usd_per_day=limit)})
    job = await submit(svc, organization, 3)
    ended = await wait_for_end(svc, organization, job["id"])
    assert ended["state"] == "completed" and ended["counts"]["succeeded"] == 3

    await eventually(lambda: charged(svc, organization, "usd_per_day"), "the charge")
    used = (await quotas(svc, organization))["usd_per_day"]["used"]
    assert used == pytest.approx(spend, abs=2e-9) and used > limit  # recorded in full, past the limit

    one_more = [{"role": "user", "content": "one more"}]
    # a call that would fit the quota on its own: refused for what the job used
    request = CompletionRequest.model_validate(
        {"model": MODEL, "messages": one_more, "cache": False, "max_tokens": 50}
    )
    with pytest.raises(QuotaExceededError) as refused:
        await svc.gateway.complete(request, caller(organization))
    details = refused.value.details
    assert (details["quota"], details["organization"]) == ("usd_per_day", organization)
    assert details["usage"] == pytest.approx(spend, abs=2e-9)
    assert details["limit"] == pytest.approx(limit, abs=1e-9)
    assert refused.value.retry_after is not None and refused.value.retry_after > 0

    before = len(OPENAI_BATCHES.jobs)
    with pytest.raises(QuotaExceededError) as no_room:  # nothing left: any job's estimate is too much
        await submit(svc, organization, 1)
    assert no_room.value.details["field"] == "items" and no_room.value.details["quota"] == "usd_per_day"
    assert no_room.value.retry_after is not None and len(OPENAI_BATCHES.jobs) == before


async def test_batch_spend_crossing_a_threshold_sends_the_budget_alert(build: Build) -> None:
    receiver = Receiver()
    receiver.server.start()
    try:
        organization = org("batch-alert")
        spend = 3 * batch_price()
        limit = round(spend / 0.9, 9)  # the job uses 90 %: past 50 and 80, short of 100
        svc = await build(
            quotas={organization: QuotaLimits(usd_per_day=limit)}, alert_webhook_url=receiver.url
        )
        job = await submit(svc, organization, 3)
        await wait_for_end(svc, organization, job["id"])

        async def two_alerts() -> bool:
            return len(receiver.alerts()) >= 2

        await eventually(two_alerts, "two alerts")
        await svc.alerts.idle()
        alerts = receiver.alerts()
        assert sorted(a["threshold_percent"] for a in alerts) == [50, 80]
        for alert in alerts:
            assert (alert["organization"], alert["quota"]) == (organization, "usd_per_day")
            assert alert["limit"] == pytest.approx(limit, abs=1e-9)  # counted in whole nano-dollars
            assert alert["used"] == pytest.approx(spend, abs=2e-9)
            assert alert["used_percent"] == pytest.approx(90.0, abs=0.01)
    finally:
        receiver.server.stop()


async def test_submit_refuses_a_job_whose_estimate_exceeds_the_dollar_quota(build: Build) -> None:
    organization = org("batch-estimate")
    per_request_floor = batch_price(0, MAX_TOKENS)  # every request may write MAX_TOKENS at least
    limit = round(per_request_floor * 2.5, 9)  # two requests' estimate fits, three do not
    svc = await build(quotas={organization: QuotaLimits(usd_per_day=limit)})
    before = len(OPENAI_BATCHES.jobs)
    with pytest.raises(QuotaExceededError) as refused:
        await submit(svc, organization, 3)
    error = refused.value
    assert error.details["field"] == "items" and error.details["quota"] == "usd_per_day"
    assert error.details["usage"] == 0 and error.details["limit"] == pytest.approx(limit, abs=1e-9)
    # the estimate: three prompts of a few tokens each (uncached, batch price) plus 500 output tokens each
    assert 3 * per_request_floor < error.details["requested"] < 3 * batch_price(100, MAX_TOKENS)
    assert error.retry_after is None  # the job alone needs more than the whole quota: waiting cannot help
    assert "estimated cost" in error.message and error.to_payload()["error"]["field"] == "items"
    assert len(OPENAI_BATCHES.jobs) == before  # nothing reached the vendor
    assert (await quotas(svc, organization))["usd_per_day"]["used"] == 0  # nothing reserved

    accepted = await submit(svc, organization, 2)  # within the quota: accepted, and nothing reserved now
    assert accepted["state"] == "in_progress"
    assert (await quotas(svc, organization))["usd_per_day"]["used"] == 0


async def test_a_fanout_job_is_charged_once_by_the_chain(build: Build) -> None:
    organization = org("batch-fanout")
    svc = await build(quotas={organization: QuotaLimits(tokens_per_day=10**6)})
    job = await submit(svc, organization, 4, model="mock-1")
    assert job["backend"] == "fanout"
    ended = await wait_for_end(svc, organization, job["id"])
    assert ended["state"] == "completed" and ended["counts"]["succeeded"] == 4
    usages = [r["response"]["usage"] for r in ended["items"]]
    tokens = sum(u["input_tokens"] + u["output_tokens"] for u in usages)
    assert tokens > 0
    await asyncio.sleep(1.0)  # ten polls more: a second charge would have landed by now
    await svc.governance.quotas.drain()
    status = await quotas(svc, organization)
    assert status["tokens_per_day"]["used"] == tokens  # the chain's settlements, not doubled
    report = await tool(svc, "usage_report", organization, {"period": "today"})
    assert report["totals"]["requests"] == 4
    assert report["totals"]["input_tokens"] + report["totals"]["output_tokens"] == tokens

"""Jobs outlive the process that submitted them: a crash (SIGKILL) mid-job, and the job resumes in the
next process (or in another replica) from the store, and its usage is billed exactly once."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import genai_prices
import pytest

from tests.conftest import RedisServer, ServiceProcess, llm_process, wait_until
from tests.fakes.batches import ANTHROPIC_BATCHES, INPUT, OPENAI_BATCHES, OUTPUT, Plan
from tests.fakes.fixtures import Fake
from tests.fakes.server import FakeServer, Script
from tests.llm.batch_jobs.conftest import call, usage, vendor_env, wait_for_end

pytestmark = pytest.mark.timeout(400)  # several server processes start one after another


def batch_price(model: str, provider_id: str) -> float:
    priced = genai_prices.calc_price(
        genai_prices.Usage(input_tokens=INPUT, output_tokens=OUTPUT),
        model,
        provider_id=provider_id,
        price_context={"processing": "batch"},
    )
    return float(priced.total_price)


def answered(server: ServiceProcess, organization: str) -> int:
    """Requests in the organization's usage so far (-1 while a busy Redis times the report out)."""
    response = call(server, "usage_report", {"organization_id": organization, "period": "today"})
    return response.json()["totals"]["requests"] if response.status_code == 200 else -1


def submit(server: ServiceProcess, organization: str, model: str, count: int) -> str:
    items = [
        {"id": f"r{n}", "model": model, "messages": [{"role": "user", "content": f"Question {n}"}]}
        for n in range(count)
    ]
    response = call(server, "submit_batch", {"items": items, "organization_id": organization})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def test_a_vendor_job_resumes_after_a_crash_and_two_replicas_bill_it_once(
    private_redis: RedisServer,
    fake_openai: tuple[FakeServer, Script],
    fake_anthropic: Fake,
    fake_gemini: Fake,
) -> None:
    env = vendor_env(fake_openai, fake_anthropic, fake_gemini, REDIS_URL=private_redis.url, REDIS_TIMEOUT="2")
    OPENAI_BATCHES.plans.append(Plan(polls=6))
    organization = f"org-{uuid.uuid4().hex[:8]}"
    first = llm_process(**env).start(timeout=90)
    try:
        job_id = submit(first, organization, "gpt-5-mini", 3)
        vendor = next(j for j in OPENAI_BATCHES.jobs.values() if j.metadata == {"gateway_job": job_id})  # type: ignore[attr-defined]
        wait_until(lambda: vendor.polls >= 2, timeout=30, what="the first polls")
    finally:
        first.kill()  # SIGKILL: no shutdown, the job is mid-flight
    polled = vendor.polls
    assert vendor.ended is None

    replicas = [llm_process(**env), llm_process(**env)]
    try:
        for replica in replicas:
            replica.start(timeout=90)
        ended = wait_for_end(replicas[0], job_id, timeout=60, organization_id=organization)
        assert vendor.polls > polled  # the replicas picked the job up where it was
        assert ended["state"] == "completed" and ended["counts"]["succeeded"] == 3
        assert wait_for_end(replicas[1], job_id, organization_id=organization) == ended
        time.sleep(1.0)  # both replicas have seen the job end by now
        for replica in replicas:
            totals = usage(replica, organization)["totals"]
            assert totals["requests"] == 3 and totals["input_tokens"] == 3 * INPUT
            assert totals["cost_usd"] == pytest.approx(3 * batch_price("gpt-5-mini", "openai"), rel=1e-6)
    finally:
        for replica in replicas:
            replica.stop()


def test_a_vendor_job_resumes_from_the_sqlite_store(
    tmp_path: Path, fake_openai: tuple[FakeServer, Script], fake_anthropic: Fake, fake_gemini: Fake
) -> None:
    env = vendor_env(fake_openai, fake_anthropic, fake_gemini, BATCH_STORE_PATH=str(tmp_path / "jobs.db"))
    ANTHROPIC_BATCHES.plans.append(Plan(polls=4))
    organization = f"org-{uuid.uuid4().hex[:8]}"
    first = llm_process(**env).start(timeout=90)
    try:
        job_id = submit(first, organization, "claude-sonnet-4-6", 2)
        vendor = list(ANTHROPIC_BATCHES.jobs.values())[-1]
        wait_until(lambda: vendor.polls >= 1, timeout=30, what="the first poll")
    finally:
        first.kill()
    second = llm_process(**env).start(timeout=90)
    try:
        ended = wait_for_end(second, job_id, timeout=60, organization_id=organization)
        assert ended["state"] == "completed" and [r["ok"] for r in ended["items"]] == [True, True]
        totals = usage(second, organization)["totals"]
        assert totals["requests"] == 2
        assert totals["cost_usd"] == pytest.approx(
            2 * batch_price("claude-sonnet-4-6", "anthropic"), rel=1e-6
        )
    finally:
        second.stop()


def test_a_fanout_job_resumes_after_a_crash_without_billing_twice(private_redis: RedisServer) -> None:
    env = {
        "REDIS_URL": private_redis.url,
        "BATCH_FANOUT_CONCURRENCY": "1",
        "IDEMPOTENCY_WAIT": "2",
        "REDIS_TIMEOUT": "2",
        "BATCH_POLL_INTERVAL": "0.1",
        "BATCH_POLL_MAX_INTERVAL": "0.4",
    }
    organization = f"org-{uuid.uuid4().hex[:8]}"
    first = llm_process(**env).start(timeout=90)
    try:
        job_id = submit(first, organization, "mock-slow-400", 6)
        wait_until(lambda: answered(first, organization) >= 2, timeout=60, what="two answered requests")
    finally:
        first.kill()
    answered_before = 2
    second = llm_process(**env).start(timeout=90)
    try:
        ended = wait_for_end(second, job_id, timeout=90, organization_id=organization)
        assert ended["state"] == "completed" and ended["counts"]["succeeded"] == 6
        replayed = [r["response"]["replayed"] for r in ended["items"]]
        assert sum(replayed) >= answered_before  # answered before the crash: replayed, not run again
        assert usage(second, organization)["totals"]["requests"] == 6
    finally:
        second.stop()

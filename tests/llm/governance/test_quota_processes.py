"""Quota atomicity end to end: 50 concurrent calls over HTTP, on one mcp-llm process and on two sharing Redis.

The fake OpenAI API reports exactly the usage each call reserved (the counted prompt, the full
max_tokens), so the budget fits exactly ten calls whatever the timing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from mcp_llm.pricing import PriceBook
from mcp_llm.tokens import TokenCounter
from mcp_shared.models import ChatMessage
from tests.conftest import TEST_OPENAI_KEY, RedisServer, ServiceProcess, wait_until
from tests.fakes import openai_api as wire
from tests.fakes.server import FakeServer, Reply, Script
from tests.llm.governance.conftest import unique

pytestmark = [pytest.mark.redis, pytest.mark.slow]

PROMPT = [{"role": "user", "content": "Name three prime numbers."}]
MAX_TOKENS = 100


def call_cost() -> tuple[int, float]:
    prompt = TokenCounter().count_messages("openai", "gpt-5-mini", [ChatMessage(**m) for m in PROMPT]).tokens
    return prompt, PriceBook().estimate("openai", "gpt-5-mini", prompt, MAX_TOKENS)


async def fire(urls: list[str], organization: str, count: int) -> list[httpx.Response]:
    body = {
        "model": "gpt-5-mini",
        "messages": PROMPT,
        "max_tokens": MAX_TOKENS,
        "organization_id": organization,
        "cache": False,
    }
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        return await asyncio.gather(
            *(client.post(f"{urls[i % len(urls)]}/tools/complete", json=body) for i in range(count))
        )


def script_exact_usage(script: Script, prompt_tokens: int) -> None:
    reply = Reply(
        json=wire.completion_body("2, 3, 5", prompt_tokens=prompt_tokens, completion_tokens=MAX_TOKENS),
        delay=0.2,
    )
    script.push(wire.CHAT, *([reply] * 50))


def check(responses: list[httpx.Response], budget: float, cost: float, report: dict) -> int:
    ok = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert len(ok) + len(refused) == len(responses)
    assert all(r.json()["error"]["type"] == "quota_exceeded" for r in refused)
    assert len(ok) <= 10
    spent = report["totals"]["cost_usd"]
    assert spent == pytest.approx(sum(r.json()["cost_usd"] for r in ok))
    assert spent <= budget + cost  # never more than one reservation over
    return len(ok)


def settled_report(url: str, organization: str, responses: list[httpx.Response]) -> dict:
    """The usage report once every replica has written its buffered usage (each flushes every 0.1 s)."""
    answered = sum(r.status_code == 200 for r in responses)
    found: dict = {}

    def complete() -> bool:
        nonlocal found
        found = httpx.get(f"{url}/usage", params={"organization_id": organization, "period": "today"}).json()
        return found["totals"]["requests"] >= answered

    wait_until(complete, timeout=10, what="usage flushed")
    return found


def openai_env(fake: FakeServer, redis: RedisServer, budget: float, organization: str) -> dict[str, object]:
    return {
        "OPENAI_API_KEY": TEST_OPENAI_KEY,
        "OPENAI_BASE_URL": f"{fake.url}/v1",
        "REDIS_URL": redis.url,
        "QUOTAS": {organization: {"usd_per_day": budget}},
        "USAGE_FLUSH_INTERVAL": "0.1",
    }


def test_fifty_concurrent_calls_against_a_budget_of_ten(
    processes: Callable[..., ServiceProcess],
    redis_server: RedisServer,
    fake_openai: tuple[FakeServer, Script],
    openai_script: Script,
) -> None:
    prompt, cost = call_cost()
    budget = 10 * cost * 1.0001  # room for ten, not eleven
    org = unique("budget")
    server = processes(**openai_env(fake_openai[0], redis_server, budget, org))
    script_exact_usage(openai_script, prompt)
    responses = asyncio.run(fire([server.url], org, 50))
    report = settled_report(server.url, org, responses)
    assert check(responses, budget, cost, report) == 10
    assert report["quotas"][0]["quota"] == "usd_per_day"
    assert report["quotas"][0]["used"] <= budget


def test_the_same_budget_holds_across_two_processes_sharing_redis(
    processes: Callable[..., ServiceProcess],
    redis_server: RedisServer,
    fake_openai: tuple[FakeServer, Script],
    openai_script: Script,
) -> None:
    prompt, cost = call_cost()
    budget = 10 * cost * 1.0001
    org = unique("shared")
    env = openai_env(fake_openai[0], redis_server, budget, org)
    first, second = processes(**env), processes(**env)
    script_exact_usage(openai_script, prompt)
    responses = asyncio.run(fire([first.url, second.url], org, 50))
    report = settled_report(second.url, org, responses)
    # Each replica took 25 calls and could have admitted ten on counters of its own: together they admit ten.
    assert check(responses, budget, cost, report) == 10


def test_requests_per_minute_on_the_mock_provider(
    processes: Callable[..., ServiceProcess], redis_server
) -> None:
    org = unique("rpm")
    server = processes(REDIS_URL=redis_server.url, QUOTAS={"default": {"requests_per_minute": 10}})

    async def run() -> list[httpx.Response]:
        body = {"model": "mock-slow-200", "messages": PROMPT, "organization_id": org, "cache": False}
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=50)) as client:
            return await asyncio.gather(
                *(client.post(f"{server.url}/tools/complete", json=body) for _ in range(50))
            )

    responses = asyncio.run(run())
    assert sum(r.status_code == 200 for r in responses) == 10
    refused = next(r for r in responses if r.status_code == 429)
    assert 0 < float(refused.headers["retry-after"]) <= 60
    assert refused.json()["error"]["quota"] == "requests_per_minute"
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'llm_quota_rejections_total{organization="other",quota="requests_per_minute"} 40.0' in metrics

"""Provider queues: priority order, FIFO within a priority, wait timeout, immediate refusal when full."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from prometheus_client import CollectorRegistry

from mcp_llm.governance.metrics import GovernanceMetrics
from mcp_llm.governance.queue import PriorityGate
from mcp_shared.errors import RateLimitError
from tests.conftest import ServiceProcess


def gate(
    concurrency: int = 1, max_queue: int = 10, timeout: float = 5.0
) -> tuple[PriorityGate, CollectorRegistry]:
    registry = CollectorRegistry()
    return PriorityGate("mock", "*", concurrency, max_queue, timeout, GovernanceMetrics(registry)), registry


async def test_higher_priority_first_and_fifo_within_a_priority() -> None:
    line, _ = gate()
    order: list[str] = []
    await line.acquire()  # the slot is taken: everyone else waits

    async def waiter(name: str, priority: int) -> None:
        async with line.slot(priority):
            order.append(name)

    tasks = []
    for name, priority in [
        ("low-1", -1),
        ("mid-1", 0),
        ("high-1", 5),
        ("mid-2", 0),
        ("high-2", 5),
        ("low-2", -1),
    ]:
        tasks.append(asyncio.create_task(waiter(name, priority)))
        await asyncio.sleep(0)  # arrival order is the order of creation
    assert line.depth == 6
    line.release()
    await asyncio.gather(*tasks)
    assert order == ["high-1", "high-2", "mid-1", "mid-2", "low-1", "low-2"]
    assert (line.in_flight, line.depth) == (0, 0)


async def test_a_full_queue_refuses_at_once_with_retry_after() -> None:
    line, registry = gate(concurrency=1, max_queue=1)
    await line.acquire()
    waiting = asyncio.create_task(line.acquire())
    await asyncio.sleep(0)
    with pytest.raises(RateLimitError) as raised:
        await line.acquire()
    assert raised.value.details["reason"] == "queue_full" and raised.value.retry_after >= 1
    assert (
        registry.get_sample_value(
            "llm_queue_rejections_total", {"provider": "mock", "model": "*", "reason": "full"}
        )
        == 1.0
    )
    assert registry.get_sample_value("llm_queue_depth", {"provider": "mock", "model": "*"}) == 1.0
    line.release()
    await waiting
    line.release()


async def test_waiting_too_long_is_a_rate_limit_and_leaves_the_line_clean() -> None:
    line, _ = gate(concurrency=1, timeout=0.05)
    await line.acquire()
    with pytest.raises(RateLimitError) as raised:
        await line.acquire()
    assert raised.value.details["reason"] == "queue_timeout"
    assert line.depth == 0
    line.release()
    assert line.in_flight == 0
    assert await line.acquire() == 0.0  # the timed-out waiter did not keep a slot


async def test_a_cancelled_waiter_passes_its_slot_on() -> None:
    line, _ = gate()
    await line.acquire()
    cancelled = asyncio.create_task(line.acquire())
    later = asyncio.create_task(line.acquire())
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.sleep(0)
    line.release()
    await asyncio.wait_for(later, 1)
    assert (line.in_flight, line.depth) == (1, 0)


def test_full_queue_over_http_answers_429_immediately(processes: Callable[..., ServiceProcess]) -> None:
    server = processes(QUEUE_LIMITS={"mock": {"concurrency": 1, "max_queue": 1}}, RETRY_MAX_ATTEMPTS="1")
    body = {"model": "mock-slow-1500", "messages": [{"role": "user", "content": "hi"}], "cache": False}

    async def run() -> list[tuple[int, float, dict]]:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:

            async def one(delay: float) -> tuple[int, float, dict]:
                await asyncio.sleep(delay)
                started = asyncio.get_running_loop().time()
                response = await client.post("/tools/complete", json=body)
                return response.status_code, asyncio.get_running_loop().time() - started, response.json()

            return await asyncio.gather(one(0), one(0.2), one(0.4))

    (first, _, _), (second, _, _), (third, elapsed, error) = asyncio.run(run())
    assert (first, second, third) == (200, 200, 429)
    assert (
        elapsed < 1.0 and error["error"]["type"] == "rate_limit" and error["error"]["reason"] == "queue_full"
    )
    assert "llm_queue_wait_seconds_bucket" in httpx.get(f"{server.url}/metrics").text


def test_a_model_with_its_own_limits_gets_its_own_gate() -> None:
    from mcp_llm.governance.queue import QueueManager
    from mcp_llm.settings.governance import QueueLimit

    queues = QueueManager(
        QueueLimit(concurrency=64, max_queue=256, timeout=30),
        {"openai": QueueLimit(concurrency=8), "openai/gpt-5": QueueLimit(concurrency=2, timeout=5)},
        GovernanceMetrics(CollectorRegistry()),
    )
    shared, own, other = (
        queues.gate("openai", "gpt-5-mini"),
        queues.gate("openai", "gpt-5"),
        queues.gate("mock", "x"),
    )
    assert shared is queues.gate("openai", "gpt-4.1")  # models without limits share the provider's gate
    assert (shared.concurrency, shared.max_queue, shared.timeout) == (8, 256, 30)
    assert (own.concurrency, own.max_queue, own.timeout) == (
        2,
        256,
        5,
    )  # unset fields: provider, then default
    assert (other.concurrency, other.model) == (64, "*")

"""Callers that leave cancel their provider call; PROVIDER_TIMEOUT bounds every provider, the mock too.

A call whose client has gone must not keep its queue slot and quota reservation until a slow model
answers nobody: over plain HTTP, SSE, the OpenAI-compatible API and MCP (HTTP and stdio), leaving
gives both back at once, and the next caller is served immediately.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import ServiceProcess, clean_env, llm_process, wait_until
from tests.fakes import openai_api as wire
from tests.fakes.server import Reply, Script
from tests.metrics import metric

SLOTS = 4
SLOW = "mock-slow-60000"
MAX_TOKENS = 1000
RESERVED = MAX_TOKENS + 20
"""About what one call reserves against the token quota: its prompt plus max_tokens."""
USER = [{"role": "user", "content": "Take your time."}]
TOOL_BODY = {"model": SLOW, "messages": USER, "max_tokens": MAX_TOKENS, "cache": False}
V1_BODY = {"model": f"mock/{SLOW}", "messages": USER, "max_tokens": MAX_TOKENS}


@pytest.fixture(scope="module")
def gateway() -> Iterator[ServiceProcess]:
    """mcp-llm with SLOTS mock slots, no waiting line, and a daily token quota for about SLOTS calls."""
    quotas = {"default": {"tokens_per_day": SLOTS * RESERVED + RESERVED // 2}}
    proc = llm_process(QUEUE_CONCURRENCY=str(SLOTS), QUEUE_MAX_DEPTH="0", QUOTAS=json.dumps(quotas)).start()
    yield proc
    proc.stop()


def send_request(port: int, path: str, body: dict[str, Any]) -> socket.socket:
    """A raw HTTP request whose client stays connected until the returned socket is closed."""
    data = json.dumps(body).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    sock.sendall(f"{head}Content-Length: {len(data)}\r\n\r\n".encode() + data)
    return sock


def in_flight(server: ServiceProcess) -> float:
    return metric(server.url, "llm_queue_in_flight", provider="mock")


def tokens_reserved_today(server: ServiceProcess) -> float:
    report = httpx.get(f"{server.url}/tools/usage_report?organization_id=default", timeout=10).json()
    return float(next(q["used"] for q in report["quotas"] if q["quota"] == "tokens_per_day"))


def answered_at_once(server: ServiceProcess) -> httpx.Response:
    """A quick call that needs a free slot and room in the quota."""
    fast = {**TOOL_BODY, "model": "mock-1"}
    started = time.monotonic()
    response = httpx.post(f"{server.url}/tools/complete", json=fast, timeout=10)
    assert time.monotonic() - started < 2.0
    return response


ROUTES = {
    "tools-complete": ("/tools/complete", TOOL_BODY),
    "tools-stream": ("/tools/stream_complete", TOOL_BODY),
    "v1": ("/v1/chat/completions", V1_BODY),
    "v1-stream": ("/v1/chat/completions", {**V1_BODY, "stream": True}),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_callers_that_disconnect_give_back_their_slots_and_quota(gateway: ServiceProcess, route: str) -> None:
    path, body = ROUTES[route]
    cancelled_before = metric(gateway.url, "llm_requests_total", model=SLOW, outcome="cancelled")
    sockets = [send_request(gateway.port, path, body) for _ in range(SLOTS)]
    try:
        wait_until(lambda: in_flight(gateway) == SLOTS, timeout=10, what="every slot taken")
        assert tokens_reserved_today(gateway) >= SLOTS * MAX_TOKENS
        refused = answered_at_once(gateway)  # nothing left for anyone else while they wait
        assert refused.status_code == 429, refused.text
    finally:
        for sock in sockets:
            sock.close()

    wait_until(lambda: in_flight(gateway) == 0, timeout=3, what="the slots to be given back")
    assert tokens_reserved_today(gateway) < RESERVED
    following = answered_at_once(gateway)
    assert following.status_code == 200, following.text
    cancelled = metric(gateway.url, "llm_requests_total", model=SLOW, outcome="cancelled")
    assert cancelled - cancelled_before == SLOTS


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_an_mcp_call_whose_client_leaves_is_cancelled(gateway: ServiceProcess, mode: str) -> None:
    """Modern clients cancel by closing the call's stream; a handshake-era client, by disconnecting."""
    client = Client(gateway.mcp_url, mode=mode)
    async with client:
        calls = [asyncio.create_task(client.call_tool("complete", TOOL_BODY)) for _ in range(SLOTS)]
        await asyncio.to_thread(wait_until, lambda: in_flight(gateway) == SLOTS, 10, 0.05, "slots taken")
        for call in calls:
            call.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
        if mode == "auto":  # the client stays connected: closing each call's stream is enough
            await asyncio.to_thread(wait_until, lambda: in_flight(gateway) == 0, 3, 0.05, "slots back")
    await asyncio.to_thread(wait_until, lambda: in_flight(gateway) == 0, 3, 0.05, "slots back")
    assert tokens_reserved_today(gateway) < RESERVED
    assert (await asyncio.to_thread(answered_at_once, gateway)).status_code == 200


async def test_notifications_cancelled_over_stdio_frees_the_slot() -> None:
    env = clean_env(LOG_LEVEL="WARNING", QUEUE_CONCURRENCY="1", QUEUE_MAX_DEPTH="0")
    params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_llm", "stdio"], env=env)
    fast = {**TOOL_BODY, "model": "mock-1"}
    async with Client(params) as client:
        slow = asyncio.create_task(client.call_tool("complete", TOOL_BODY))
        for _ in range(100):  # until the slow call holds the only slot
            busy = await client.call_tool("complete", fast)
            if busy.is_error:
                break
            await asyncio.sleep(0.05)
        assert json.loads(busy.content[0].text)["error"]["reason"] == "queue_full"
        slow.cancel()  # the client sends notifications/cancelled for it
        await asyncio.gather(slow, return_exceptions=True)
        started = time.monotonic()
        for _ in range(40):
            answer = await client.call_tool("complete", fast)
            if not answer.is_error:
                break
            await asyncio.sleep(0.05)
        assert not answer.is_error, answer.content[0].text
        assert time.monotonic() - started < 2.0


def test_a_stream_whose_reader_leaves_mid_answer_stops_the_vendor_stream(
    llm_server: ServiceProcess, openai_script: Script
) -> None:
    """After the first chunk the reader's departure closes the vendor's stream too."""
    reply = Reply(stream=wire.stream_frames(["word "] * 40), frame_delay=0.25)
    openai_script.push(wire.CHAT, reply)
    body = {"model": "gpt-5-mini", "messages": USER, "cache": False}
    with send_request(llm_server.port, "/tools/stream_complete", body) as sock:
        received = b""
        while b"event: chunk" not in received:
            received += sock.recv(65536)
    wait_until(lambda: reply.abandoned, timeout=3, what="the vendor stream to be closed")
    wait_until(lambda: metric(llm_server.url, "llm_queue_in_flight", provider="openai") == 0, timeout=3)
    assert metric(llm_server.url, "llm_requests_total", model="gpt-5-mini", outcome="cancelled") >= 1


ENDLESS = "mock-slow-99999999999999999999"


@pytest.fixture(scope="module")
def impatient() -> Iterator[ServiceProcess]:
    proc = llm_process(PROVIDER_TIMEOUT="0.5", RETRY_MAX_ATTEMPTS="2").start()
    yield proc
    proc.stop()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/tools/complete", {**TOOL_BODY, "model": ENDLESS}),
        ("/tools/stream_complete", {**TOOL_BODY, "model": ENDLESS}),
        ("/v1/chat/completions", {**V1_BODY, "model": f"mock/{ENDLESS}"}),
    ],
)
def test_provider_timeout_bounds_the_mock(impatient: ServiceProcess, path: str, body: dict[str, Any]) -> None:
    started = time.monotonic()
    response = httpx.post(f"{impatient.url}{path}", json=body, timeout=30)
    assert time.monotonic() - started < 5.0  # two attempts of 0.5 s and a short backoff
    assert response.status_code == 504, response.text
    error = response.json()["error"]
    assert "within 0.5 s (PROVIDER_TIMEOUT)" in error["message"]
    if path.startswith("/tools"):
        assert (error["type"], error["provider"], error["model"]) == ("timeout", "mock", ENDLESS)
    else:
        assert (error["type"], error["code"]) == ("server_error", "timeout")
    assert metric(impatient.url, "llm_retries_total", model=ENDLESS) >= 1

"""A completion leaves no reference cycles behind, so the cycle collector never pauses a later call.

Garbage in cycles is freed only when the collector runs, and a collection is a pause on whatever call
happens to be in flight: at a thousand calls a second, tens of cyclic objects per call made the
collector run every few calls and put its pauses into the p99. The check runs whole calls through the
gateway's stage chain with the collector off, then counts what a collection finds unreachable. The
OpenAI-wire call goes over real HTTP to the fake upstream in its own process (a server in this process
would add its own objects to the count).
"""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from mcp_llm.service import LLMService
from mcp_llm.settings import LLMSettings
from mcp_shared.models import CompletionRequest
from mcp_shared.server.tools import CallContext, StreamEvent
from tests.conftest import ROOT, free_port, wait_until

CALLS = 100


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.fake_upstream", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import socket

        def listening() -> bool:
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0

        wait_until(listening, timeout=30, what="the fake upstream")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
async def service(upstream: str) -> AsyncIterator[LLMService]:
    settings = LLMSettings(  # type: ignore[call-arg]
        _env_file=None,
        openai_compatible_base_url=upstream,
        openai_compatible_models=["bench-model"],
        cache_enabled=False,
    )
    svc = LLMService(settings)
    await svc.start()
    yield svc
    await svc.stop()


async def _discard(event: StreamEvent) -> None:
    return None


def _request(provider: str, model: str) -> CompletionRequest:
    return CompletionRequest.model_validate(
        {
            "provider": provider,
            "model": model,
            "messages": [{"role": "user", "content": "hi"}],
            "cache": False,
        }
    )


async def _unreachable_per_call(service: LLMService, request: CompletionRequest, stream: bool) -> float:
    async def one() -> None:
        call = CallContext(transport="http")
        if stream:
            call.emit = _discard
            await service.gateway.stream(request, call)
        else:
            await service.gateway.complete(request, call)

    for _ in range(20):  # first calls fill caches and pools, which is not per-call garbage
        await one()
    gc.collect()
    gc.disable()
    try:
        for _ in range(CALLS):
            await one()
        return gc.collect() / CALLS
    finally:
        gc.enable()


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize(
    ("provider", "model"),
    [("mock", "mock-1"), ("openai_compatible", "bench-model")],
    ids=["mock", "openai-wire"],
)
async def test_a_call_leaves_no_cyclic_garbage(
    service: LLMService, provider: str, model: str, stream: bool
) -> None:
    # Below one object per call: a rare cycle (a pool's bookkeeping now and then) is tolerated, a
    # cycle made by every call is not.
    assert await _unreachable_per_call(service, _request(provider, model), stream) < 1.0

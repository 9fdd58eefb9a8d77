"""Fallback chains: rate-limited primary answered by a fallback, too-small windows skipped, streams cut
after their first chunk end in an error event with no fallback, configured chains, metrics."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from mcp_llm.service import LLMService
from mcp_shared.errors import AuthenticationError, ContextLengthExceededError, ProviderUnavailableError
from tests.conftest import ServiceProcess
from tests.e2e.test_http_routes import sse_events
from tests.llm.governance.conftest import ask, http_call

LONG = "word " * 3_000  # about 3,000 tokens: more than mock-small's 512-token window


async def test_rate_limited_primary_is_answered_by_the_fallback(
    make_service: Callable[..., LLMService],
) -> None:
    svc = await make_service(retry_max_attempts=1)
    request = ask(
        model="mock-fail-rate-limit", fallbacks=[{"provider": "mock", "model": "mock-1"}], cache=False
    )
    response = await svc.gateway.complete(request, http_call())
    assert (response.model, response.fallback_used) == ("mock-1", True)
    assert (response.requested_model, response.hops[0].outcome, response.hops[1].outcome) == (
        "mock-fail-rate-limit",
        "failed",
        "answered",
    )
    assert response.hops[0].reason.startswith("rate_limit")


async def test_a_fallback_whose_window_is_too_small_is_skipped(
    make_service: Callable[..., LLMService],
) -> None:
    svc = await make_service(retry_max_attempts=1)
    request = ask(
        LONG,
        model="mock-fail-server-error",
        fallbacks=[{"provider": "mock", "model": "mock-small"}, {"provider": "mock", "model": "mock-1"}],
        cache=False,
    )
    response = await svc.gateway.complete(request, http_call())
    assert response.model == "mock-1"
    outcomes = [(h.model, h.outcome) for h in response.hops]
    assert outcomes == [
        ("mock-fail-server-error", "failed"),
        ("mock-small", "skipped"),
        ("mock-1", "answered"),
    ]
    assert response.hops[1].reason.startswith("context_window: prompt of about")
    metrics = svc.metrics_registry.get_sample_value(
        "llm_fallbacks_total", {"provider": "mock", "model": "mock-small", "reason": "context_window"}
    )
    assert metrics == 1.0


async def test_when_every_hop_is_too_small_the_error_is_context_length(
    make_service: Callable[..., LLMService],
) -> None:
    svc = await make_service()
    huge = "word " * 130_000  # more than gpt-4o's 128k window too
    request = ask(huge, model="mock-small", fallbacks=[{"provider": "openai", "model": "gpt-4o"}])
    with pytest.raises(ContextLengthExceededError) as raised:
        await svc.gateway.complete(request, http_call())
    assert [h["outcome"] for h in raised.value.details["hops"]] == ["skipped", "skipped"]


async def test_configured_chains_apply_when_the_call_gives_none(
    make_service: Callable[..., LLMService],
) -> None:
    svc = await make_service(retry_max_attempts=1, fallbacks={"mock/mock-fail-timeout": ["mock/mock-echo"]})
    response = await svc.gateway.complete(ask("echo me", model="mock-fail-timeout", cache=False), http_call())
    assert (response.model, response.content) == ("mock-echo", "echo me")
    # A chain given by the call replaces the configured one.
    response = await svc.gateway.complete(
        ask("x", model="mock-fail-timeout", fallbacks=[{"model": "mock-1"}], cache=False), http_call()
    )
    assert [h.model for h in response.hops] == ["mock-fail-timeout", "mock-1"]


async def test_errors_that_a_fallback_cannot_fix_are_not_retried_elsewhere(
    make_service: Callable[..., LLMService],
) -> None:
    svc = await make_service()
    with pytest.raises(AuthenticationError) as raised:
        await svc.gateway.complete(ask(model="mock-fail-auth", fallbacks=[{"model": "mock-1"}]), http_call())
    assert [h["outcome"] for h in raised.value.details["hops"]] == ["failed"]


async def test_an_open_circuit_is_skipped_and_a_lone_open_hop_fails_fast(
    make_service: Callable[..., LLMService],
) -> None:
    svc = await make_service(retry_max_attempts=1, circuit_failure_threshold=2, circuit_cooldown=60)
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError):
            await svc.gateway.complete(ask(model="mock-fail-server-error"), http_call())
    response = await svc.gateway.complete(
        ask(model="mock-fail-server-error", fallbacks=[{"model": "mock-1"}]), http_call()
    )
    assert response.hops[0].outcome == "skipped" and response.hops[0].reason.startswith("circuit_open")
    with pytest.raises(ProviderUnavailableError) as raised:
        await svc.gateway.complete(ask(model="mock-fail-server-error"), http_call())
    assert raised.value.status == 503 and raised.value.retry_after == 60


def test_stream_cut_after_its_first_chunk_is_an_error_event_and_never_falls_back(
    llm_server: ServiceProcess,
) -> None:
    body = {
        "model": "mock-stream-cut",
        "messages": [{"role": "user", "content": "tell me a long story about the sea"}],
        "fallbacks": [{"provider": "mock", "model": "mock-1"}],
        "cache": False,
    }
    with httpx.Client(base_url=llm_server.url, timeout=10) as http:
        response = http.post("/tools/stream_complete", json=body)
    events = sse_events(response.text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "chunk" and kinds[-1] == "error" and "done" not in kinds
    error = events[-1][1]["error"]
    assert error["type"] == "provider_unavailable"
    assert [h["outcome"] for h in error["hops"]] == ["failed"]  # mock-1 was never tried


def test_stream_falls_back_before_its_first_chunk(llm_server: ServiceProcess) -> None:
    body = {
        "model": "mock-fail-timeout",
        "messages": [{"role": "user", "content": "hi"}],
        "fallbacks": [{"provider": "mock", "model": "mock-1"}],
        "cache": False,
    }
    with httpx.Client(base_url=llm_server.url, timeout=30) as http:
        response = http.post("/tools/stream_complete", json=body)
    events = sse_events(response.text)
    done = events[-1][1]
    assert events[-1][0] == "done" and done["model"] == "mock-1" and done["fallback_used"]
    assert json.dumps(done["hops"]).count("failed") == 1


async def test_a_hop_whose_provider_is_not_configured_is_skipped(
    make_service: Callable[..., LLMService],
) -> None:
    svc = await make_service()  # no vendor keys: only mock is configured
    request = ask(
        model="claude-haiku-4-5", provider="claude", fallbacks=[{"provider": "mock", "model": "mock-1"}]
    )
    response = await svc.gateway.complete(request, http_call())
    assert response.model == "mock-1"
    assert response.hops[0].outcome == "skipped" and response.hops[0].reason.startswith("not_configured")
    with pytest.raises(AuthenticationError):  # alone, the call still gets the provider's own answer
        await svc.gateway.complete(ask(model="claude-haiku-4-5", provider="claude"), http_call())

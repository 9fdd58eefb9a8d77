"""The plain HTTP face: tool routes, server-sent events, health, readiness and metrics."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ServiceProcess
from tests.sse import sse_events

USER = [{"role": "user", "content": "Is a four-day week productive?"}]


@pytest.fixture
def http(llm_server: ServiceProcess):
    with httpx.Client(base_url=llm_server.url, timeout=10) as client:
        yield client


def test_health_readiness_and_metrics(http: httpx.Client) -> None:
    assert http.get("/healthz").json()["status"] == "ok"
    ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["cache"]["backend"] == "memory"
    http.post("/tools/complete", json={"provider": "mock", "messages": USER})
    metrics = http.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'mcp_llm_tool_calls_total{outcome="ok",tool="complete",transport="http"}' in metrics.text
    assert 'llm_requests_total{model="mock-1",outcome="ok",provider="mock"}' in metrics.text


def test_tool_listing_and_get_for_tools_without_required_arguments(http: httpx.Client) -> None:
    names = {t["name"] for t in http.get("/tools").json()["tools"]}
    assert {"complete", "generate", "list_models", "estimate_tokens"} <= names
    listing = http.get("/tools/list_models", params={"provider": "mock"}).json()
    assert {m["provider"] for m in listing["models"]} == {"mock"}
    refused = http.get("/tools/complete")
    assert refused.status_code == 405 and refused.json()["error"]["type"] == "invalid_request"


def test_complete_and_request_id_header(http: httpx.Client) -> None:
    response = http.post("/tools/complete", json={"provider": "mock", "messages": USER})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == response.json()["request_id"]


def test_stream_is_chunk_events_then_done(http: httpx.Client) -> None:
    with http.stream(
        "POST", "/tools/stream_complete", json={"provider": "mock", "messages": USER, "cache": False}
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response.read().decode())
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "done" and set(kinds[:-1]) == {"chunk"} and len(kinds) >= 4
    done = events[-1][1]
    assert "".join(data["content"] for kind, data in events[:-1]) == done["content"]
    assert done["usage"]["total_tokens"] > 0


def test_complete_with_stream_true_streams_over_http(http: httpx.Client) -> None:
    response = http.post("/tools/complete", json={"provider": "mock", "messages": USER, "stream": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    assert sse_events(response.text)[-1][0] == "done"


def test_stream_cut_by_provider_ends_with_an_error_event(http: httpx.Client) -> None:
    response = http.post(
        "/tools/stream_complete", json={"provider": "mock", "model": "mock-stream-cut", "messages": USER}
    )
    events = sse_events(response.text)
    assert [k for k, _ in events] == ["chunk", "chunk", "error"]
    assert events[-1][1]["error"]["type"] == "provider_unavailable"


def test_stream_failing_before_its_first_chunk_is_a_plain_error(http: httpx.Client) -> None:
    response = http.post(
        "/tools/stream_complete", json={"provider": "mock", "model": "mock-fail-rate-limit", "messages": USER}
    )
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/json"
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["type"] == "rate_limit"


def test_retries_hide_transient_failures(http: httpx.Client) -> None:
    response = http.post(
        "/tools/complete", json={"provider": "mock", "model": "mock-fail-server-error-2", "messages": USER}
    )
    assert response.status_code == 200 and response.json()["content"]


def test_fallback_chain_answers_when_the_primary_is_rate_limited(http: httpx.Client) -> None:
    response = http.post(
        "/tools/complete",
        json={
            "provider": "mock",
            "model": "mock-fail-rate-limit",
            "messages": USER,
            "fallbacks": [{"provider": "mock", "model": "mock-1"}],
        },
    )
    body = response.json()
    assert response.status_code == 200
    assert (body["model"], body["requested_model"], body["fallback_used"]) == (
        "mock-1",
        "mock-fail-rate-limit",
        True,
    )
    assert [h["outcome"] for h in body["hops"]] == ["failed", "answered"]


def test_cache_hit_on_identical_request(http: httpx.Client) -> None:
    args = {"provider": "mock", "messages": [{"role": "user", "content": "cache me"}], "temperature": 0.0}
    first = http.post("/tools/complete", json=args).json()
    second = http.post("/tools/complete", json=args).json()
    assert (first["cached"], second["cached"]) == (False, True)
    assert second["content"] == first["content"] and second["request_id"] != first["request_id"]
    uncached = http.post("/tools/complete", json={**args, "cache": False}).json()
    hot = http.post("/tools/complete", json={**args, "temperature": 0.9}).json()
    assert not uncached["cached"] and not hot["cached"]
    deleted = http.post("/tools/invalidate_cache", json={"provider": "mock"}).json()
    assert deleted["deleted"] >= 1 and deleted["backend"] == "memory"
    assert not http.post("/tools/complete", json=args).json()["cached"]


def test_unknown_route_is_a_structured_404(http: httpx.Client) -> None:
    response = http.get("/nope")
    assert response.status_code == 404 and response.json()["error"]["type"] == "invalid_request"

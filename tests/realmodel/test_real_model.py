"""Three adapters against a real model: openai_compatible (OpenAI API), claude (Anthropic Messages API,
both served by llama.cpp) and llama (Ollama's native API through the test shim), each through the
running mcp-llm. Assertions are about status, shape, streaming framing, finish reasons and usage,
never about the exact words a model chose.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ServiceProcess
from tests.realmodel.conftest import MODEL, SLOT_CONTEXT, LlamaServer
from tests.sse import sse_events

# The first test may build llama-server (minutes) when the cache is empty; CI builds it beforehand.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

PROVIDERS = ["openai_compatible", "claude", "llama"]
ASK = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Name three colours of the rainbow."},
]


@pytest.fixture
def http(real_llm: ServiceProcess):
    with httpx.Client(base_url=real_llm.url, timeout=90) as client:
        yield client


def call(provider: str, max_tokens: int, **extra: object) -> dict:
    return {
        "provider": provider,
        "model": MODEL,
        "messages": ASK,
        "max_tokens": max_tokens,
        "cache": False,
        **extra,
    }


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_short_budget_ends_with_length(http: httpx.Client, provider: str) -> None:
    response = http.post("/tools/complete", json=call(provider, 5, temperature=0))
    body = response.json()
    assert response.status_code == 200, body
    assert body["provider"] == provider and body["finish_reason"] == "length"
    assert isinstance(body["content"], str) and body["content"].strip()
    usage = body["usage"]
    assert usage["output_tokens"] == 5 and usage["input_tokens"] > 10
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_answer_that_ends_by_itself_stops(http: httpx.Client, provider: str) -> None:
    body = http.post("/tools/complete", json=call(provider, 400, temperature=0)).json()
    assert body["finish_reason"] == "stop", body
    assert 0 < body["usage"]["output_tokens"] < 400


@pytest.mark.parametrize("provider", PROVIDERS)
def test_stream_framing_and_usage(http: httpx.Client, provider: str) -> None:
    response = http.post("/tools/stream_complete", json=call(provider, 24, temperature=0))
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "done" and set(kinds[:-1]) == {"chunk"} and len(kinds) >= 4, kinds
    done = events[-1][1]
    assert "".join(data["content"] for _, data in events[:-1]) == done["content"]
    assert done["finish_reason"] in ("stop", "length")
    assert done["usage"]["input_tokens"] > 10 and 0 < done["usage"]["output_tokens"] <= 24


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_prompt_over_the_window_is_context_length_exceeded(http: httpx.Client, provider: str) -> None:
    long = [{"role": "user", "content": "colour " * (SLOT_CONTEXT + 500)}]
    response = http.post("/tools/complete", json={**call(provider, 8), "messages": long})
    assert response.status_code == 413, response.text
    assert response.json()["error"]["type"] == "context_length_exceeded"


def test_claude_counts_tokens_with_the_servers_counter(http: httpx.Client) -> None:
    counted = http.post(
        "/tools/estimate_tokens", json={"provider": "claude", "model": MODEL, "messages": ASK}
    ).json()
    assert counted["method"] == "provider_api" and counted["tokens"] > 10
    answered = http.post("/tools/complete", json=call("claude", 1)).json()
    assert abs(answered["usage"]["input_tokens"] - counted["tokens"]) <= 2


def test_ollama_list_and_missing_model(http: httpx.Client) -> None:
    listing = http.get("/tools/list_models", params={"provider": "llama", "refresh": "true"}).json()
    assert listing["providers"][0]["live"], listing
    model = next(m for m in listing["models"] if m["id"] == f"{MODEL}:latest")
    assert model["context_window"] == 8192 and model["prices"]["source"] == "free"
    missing = http.post("/tools/complete", json={**call("llama", 4), "model": "mistral-nemo"})
    assert missing.status_code == 404
    assert "ollama pull mistral-nemo" in missing.json()["error"]["message"]


def test_two_requests_at_once_both_answer(http: httpx.Client, real_llm: ServiceProcess) -> None:
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        bodies = list(pool.map(lambda p: http.post("/tools/complete", json=call(p, 6)).json(), PROVIDERS[:2]))
    assert [b["finish_reason"] for b in bodies] == ["length", "length"]


def test_figures(llama_server: LlamaServer, http: httpx.Client, record_property) -> None:
    """Not an assertion about speed: records start-up, warm-up and throughput for the report."""
    import time

    started = time.monotonic()
    body = http.post("/tools/complete", json=call("openai_compatible", 64, temperature=0)).json()
    elapsed = time.monotonic() - started
    rate = body["usage"]["output_tokens"] / elapsed
    record_property("llama_server_start_s", round(llama_server.started_in, 2))
    record_property("warm_up_s", round(llama_server.warm_up_in, 2))
    record_property("tokens_per_s_through_gateway", round(rate, 1))
    print(
        f"\nreal model: server ready in {llama_server.started_in:.2f} s, "
        f"warm-up {llama_server.warm_up_in:.2f} s, {body['usage']['output_tokens']} tokens "
        f"in {elapsed:.2f} s ({rate:.0f} tokens/s through mcp-llm)"
    )
    assert body["usage"]["output_tokens"] > 0

"""Every vendor end to end: the running mcp-llm process talking to each vendor's fake.

Per vendor: complete, stream_complete (SSE framing), a stream cut by the vendor, a rejected key,
list_models and estimate_tokens, all through the server's plain HTTP face.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import ServiceProcess
from tests.fakes import anthropic_api, gemini_api, ollama_api, openai_api
from tests.fakes.fixtures import TEST_ANTHROPIC_KEY, TEST_DASHSCOPE_KEY, TEST_GOOGLE_KEY, TEST_XAI_KEY
from tests.fakes.server import Reply, Script
from tests.sse import sse_events


@dataclass(frozen=True)
class Vendor:
    key: str
    model: str
    script: str
    """Name of the fixture holding this vendor's script."""
    chat: str
    stream_chat: str
    answer: Callable[[str], Reply]
    streamed: Callable[[list[str]], Reply]
    rejected_key: Callable[[], Reply]
    secret: str | None
    priced: bool
    counted_by_vendor: bool


VENDORS = [
    Vendor(
        "claude",
        "claude-sonnet-4-6",
        "anthropic_script",
        anthropic_api.MESSAGES,
        anthropic_api.MESSAGES,
        lambda text: Reply(json=anthropic_api.message_body(text, input_tokens=1000, output_tokens=500)),
        lambda pieces: Reply(stream=anthropic_api.stream_events(pieces)),
        anthropic_api.unauthorized,
        TEST_ANTHROPIC_KEY,
        priced=True,
        counted_by_vendor=True,
    ),
    Vendor(
        "gemini",
        "gemini-2.5-flash",
        "gemini_script",
        gemini_api.GENERATE,
        gemini_api.STREAM,
        lambda text: Reply(json=gemini_api.response_body(text, prompt=1000, candidates=500)),
        lambda pieces: Reply(stream=gemini_api.stream_frames(pieces)),
        gemini_api.invalid_api_key,
        TEST_GOOGLE_KEY,
        priced=True,
        counted_by_vendor=True,
    ),
    Vendor(
        "llama",
        "llama3.2",
        "ollama_script",
        ollama_api.CHAT,
        ollama_api.CHAT,
        lambda text: Reply(json=ollama_api.chat_body(text, prompt=1000, output=500)),
        lambda pieces: Reply(stream=ollama_api.stream_lines(pieces), media_type=ollama_api.NDJSON),
        lambda: Reply(401, {"error": "unauthorized"}),  # an Ollama behind an authenticating proxy
        None,
        priced=False,
        counted_by_vendor=False,
    ),
    Vendor(
        "grok",
        "grok-4.3",
        "xai_script",
        openai_api.CHAT,
        openai_api.CHAT,
        lambda text: Reply(
            json=openai_api.completion_body(text, model="grok-4.3", prompt_tokens=1000, completion_tokens=500)
        ),
        lambda pieces: Reply(stream=openai_api.stream_frames(pieces, model="grok-4.3")),
        openai_api.unauthorized,
        TEST_XAI_KEY,
        priced=True,
        counted_by_vendor=False,
    ),
    Vendor(
        "qwen",
        "qwen-plus",
        "dashscope_script",
        openai_api.CHAT,
        openai_api.CHAT,
        lambda text: Reply(
            json=openai_api.completion_body(
                text, model="qwen-plus", prompt_tokens=1000, completion_tokens=500
            )
        ),
        lambda pieces: Reply(stream=openai_api.stream_frames(pieces, model="qwen-plus")),
        openai_api.unauthorized,
        TEST_DASHSCOPE_KEY,
        priced=True,
        counted_by_vendor=False,
    ),
]
USER = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Summarise the plot of Hamlet."},
]


@pytest.fixture
def http(vendors_server: ServiceProcess):
    with httpx.Client(base_url=vendors_server.url, timeout=20) as client:
        yield client


@pytest.fixture(params=VENDORS, ids=lambda v: v.key)
def vendor(request: pytest.FixtureRequest) -> tuple[Vendor, Script]:
    chosen: Vendor = request.param
    return chosen, request.getfixturevalue(chosen.script)


def test_complete_through_the_vendor(http: httpx.Client, vendor: tuple[Vendor, Script]) -> None:
    spec, script = vendor
    script.push(spec.chat, spec.answer("To be or not to be."))
    response = http.post("/tools/complete", json={"model": spec.model, "messages": USER, "cache": False})
    body = response.json()
    assert response.status_code == 200, body
    assert (body["provider"], body["content"], body["finish_reason"]) == (
        spec.key,
        "To be or not to be.",
        "stop",
    )
    assert (body["usage"]["input_tokens"], body["usage"]["output_tokens"]) == (1000, 500)
    assert (body["cost_usd"] > 0) == spec.priced
    sent = script.requests[-1]
    if spec.secret is not None:
        assert spec.secret in " ".join(sent.headers.values())  # the key was used, and is echoed nowhere
        assert spec.secret not in response.text


def test_stream_through_the_vendor(http: httpx.Client, vendor: tuple[Vendor, Script]) -> None:
    spec, script = vendor
    script.push(spec.stream_chat, spec.streamed(["To", " be", " or not."]))
    response = http.post(
        "/tools/stream_complete", json={"model": spec.model, "messages": USER, "cache": False}
    )
    events = sse_events(response.text)
    assert [kind for kind, _ in events] == ["chunk"] * 3 + ["done"]
    done = events[-1][1]
    assert (done["content"], done["provider"], done["finish_reason"]) == ("To be or not.", spec.key, "stop")
    assert done["usage"]["output_tokens"] > 0


def test_stream_cut_by_the_vendor_ends_with_an_error_event(
    http: httpx.Client, vendor: tuple[Vendor, Script]
) -> None:
    spec, script = vendor
    whole = spec.streamed(["To", " be", " or", " not", " to", " be."])
    assert whole.stream is not None
    cut = Reply(stream=whole.stream, cut_after=len(whole.stream) - 3, media_type=whole.media_type)
    script.push(spec.stream_chat, cut)
    response = http.post(
        "/tools/stream_complete", json={"model": spec.model, "messages": USER, "cache": False}
    )
    events = sse_events(response.text)
    assert events[0][0] == "chunk" and events[-1][0] == "error"
    assert events[-1][1]["error"]["type"] == "provider_unavailable"


def test_a_rejected_key_is_an_authentication_error(
    http: httpx.Client, vendor: tuple[Vendor, Script], vendors_server: ServiceProcess
) -> None:
    spec, script = vendor
    script.push(spec.chat, spec.rejected_key())
    response = http.post("/tools/complete", json={"model": spec.model, "messages": USER, "cache": False})
    assert response.status_code == 401
    error = response.json()["error"]
    assert (error["type"], error["provider"], error["model"]) == ("authentication", spec.key, spec.model)
    if spec.secret is not None:
        assert spec.secret not in response.text and spec.secret not in vendors_server.log_text()


def test_unknown_model_is_model_not_found(http: httpx.Client, vendor: tuple[Vendor, Script]) -> None:
    spec, _ = vendor
    response = http.post(
        "/tools/complete",
        json={"provider": spec.key, "model": "no-such-model-9", "messages": USER, "cache": False},
    )
    assert response.status_code == 404 and response.json()["error"]["type"] == "model_not_found"


def test_estimate_tokens(http: httpx.Client, vendor: tuple[Vendor, Script]) -> None:
    spec, _ = vendor
    counted = http.post("/tools/estimate_tokens", json={"model": spec.model, "messages": USER}).json()
    assert counted["provider"] == spec.key and counted["tokens"] > 0
    assert counted["method"] == ("provider_api" if spec.counted_by_vendor else "estimate")
    text = http.post("/tools/estimate_tokens", json={"model": spec.model, "text": "hello world"}).json()
    assert text["method"] == "estimate" and text["tokens"] > 0


def test_a_slow_or_failing_vendor_counter_falls_back_to_the_estimate(
    http: httpx.Client, anthropic_script: Script
) -> None:
    import time

    anthropic_script.push(
        anthropic_api.COUNT, Reply(json={"input_tokens": 9}, delay=5.0), anthropic_api.server_error()
    )
    for _ in range(2):
        started = time.monotonic()
        counted = http.post(
            "/tools/estimate_tokens", json={"model": "claude-sonnet-4-6", "messages": USER}
        ).json()
        assert counted["method"] == "estimate" and counted["tokens"] > 0
        assert time.monotonic() - started < 4.5


def test_list_models_shows_every_provider_and_merges_live_lists(http: httpx.Client) -> None:
    listing = http.get("/tools/list_models", params={"refresh": "true"}).json()
    summaries = {p["provider"]: p for p in listing["providers"]}
    assert set(summaries) == {
        "openai",
        "claude",
        "gemini",
        "llama",
        "grok",
        "qwen",
        "openai_compatible",
        "mock",
    }
    configured = {k for k, p in summaries.items() if p["configured"]}
    assert configured == {"claude", "gemini", "llama", "grok", "qwen", "mock"}
    for key in ("claude", "gemini", "llama", "grok", "qwen"):
        assert summaries[key]["live"] and summaries[key]["live_error"] is None, summaries[key]
    by_id = {(m["provider"], m["id"]): m for m in listing["models"]}
    assert by_id[("llama", "llama3.2:latest")]["context_window"] == 131072
    assert by_id[("llama", "llama3.2:latest")]["prices"]["source"] == "free"
    assert by_id[("gemini", "gemini-2.5-flash")]["source"] == "catalog+live"
    assert by_id[("claude", "claude-sonnet-4-6")]["source"] == "catalog+live"
    assert by_id[("qwen", "qwen-plus")]["prices"]["source"] == "override"
    assert by_id[("openai", "gpt-5-mini")]["configured"] is False

"""The OpenAI provider end to end: the running mcp-llm process talking to the fake OpenAI API."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import TEST_OPENAI_KEY, ServiceProcess
from tests.fakes import openai_api as wire
from tests.fakes.server import Reply, Script

USER = [{"role": "user", "content": "Summarise the plot of Hamlet."}]


@pytest.fixture
def http(llm_server: ServiceProcess):
    with httpx.Client(base_url=llm_server.url, timeout=15) as client:
        yield client


def test_complete_through_the_vendor(http: httpx.Client, openai_script: Script) -> None:
    openai_script.push(
        wire.CHAT,
        Reply(json=wire.completion_body("To be or not.", prompt_tokens=1000, completion_tokens=500)),
    )
    body = http.post("/tools/complete", json={"model": "gpt-5-mini", "messages": USER, "cache": False}).json()
    assert (body["provider"], body["content"]) == ("openai", "To be or not.")
    assert body["usage"] == {
        "input_tokens": 1000,
        "output_tokens": 500,
        "total_tokens": 1500,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "reasoning_tokens": 0,
    }
    # gpt-5-mini at $0.25 in / $2 out per million tokens
    assert body["cost_usd"] == pytest.approx(1000 * 0.25e-6 + 500 * 2e-6)


def test_stream_through_the_vendor(http: httpx.Client, openai_script: Script) -> None:
    openai_script.push(wire.CHAT, Reply(stream=wire.stream_frames(["To", " be", " or not."])))
    response = http.post(
        "/tools/stream_complete", json={"model": "gpt-5-mini", "messages": USER, "cache": False}
    )
    frames = [f for f in response.text.split("\n\n") if f]
    assert [f.split("\n")[0] for f in frames] == ["event: chunk"] * 3 + ["event: done"]
    assert json.loads(frames[-1].split("data: ", 1)[1])["content"] == "To be or not."


def test_vendor_429_is_retried_then_answers(http: httpx.Client, openai_script: Script) -> None:
    openai_script.push(
        wire.CHAT, wire.rate_limited("0.1"), Reply(json=wire.completion_body("after the wait"))
    )
    body = http.post("/tools/complete", json={"model": "gpt-5-mini", "messages": USER, "cache": False}).json()
    assert body["content"] == "after the wait"


def test_vendor_errors_keep_their_type_and_never_leak_the_key(
    http: httpx.Client, openai_script: Script, llm_server: ServiceProcess
) -> None:
    cases = [
        (wire.unauthorized(), 401, "authentication"),
        (wire.context_length_exceeded(), 413, "context_length_exceeded"),
    ]
    for reply, status, kind in cases:
        openai_script.push(wire.CHAT, reply)
        response = http.post(
            "/tools/complete", json={"model": "gpt-5-mini", "messages": USER, "cache": False}
        )
        assert response.status_code == status and response.json()["error"]["type"] == kind
        assert TEST_OPENAI_KEY not in response.text
    persistent = [wire.server_error()] * 3
    openai_script.push(wire.CHAT, *persistent)
    response = http.post("/tools/complete", json={"model": "gpt-5-mini", "messages": USER, "cache": False})
    assert response.status_code == 502 and response.json()["error"]["type"] == "provider_unavailable"
    log = llm_server.log_text()
    assert "tool call" in log and TEST_OPENAI_KEY not in log
    sent = openai_script.last("/chat/completions")
    assert sent.headers["authorization"].endswith(TEST_OPENAI_KEY)  # it was really used, and never echoed


def test_live_model_list_is_merged_into_the_catalog(http: httpx.Client) -> None:
    listing = http.get("/tools/list_models", params={"provider": "openai", "refresh": "true"}).json()
    summary = listing["providers"][0]
    assert summary["live"] and summary["live_error"] is None
    by_id = {m["id"]: m for m in listing["models"]}
    assert by_id["ft:gpt-4o:acme"]["source"] == "live"
    assert by_id["gpt-5-mini"]["source"] == "catalog+live"
    assert by_id["gpt-6-sol"]["source"] == "catalog"

"""A vendor SDK refusing its arguments before sending anything is the caller's error, never a 500.

Runs the real google-genai SDK inside the running mcp-llm against the fake Gemini API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ServiceProcess, llm_process
from tests.fakes.fixtures import TEST_GOOGLE_KEY, Fake
from tests.fakes.server import Script

USER = [{"role": "user", "content": "hi"}]
# An operator-configured chain reaches the SDK with a model name no caller could send (callers' names are
# checked at the edge): google-genai raises ValueError('invalid model parameter.') for it before sending.
REFUSED_BY_SDK = "gemini-2.5-flash?alt=sse"


@pytest.fixture
def http(vendors_server: ServiceProcess):
    with httpx.Client(base_url=vendors_server.url, timeout=20) as client:
        yield client


@pytest.fixture(scope="module")
def chained_server(fake_gemini: Fake) -> Iterator[ServiceProcess]:
    proc = llm_process(
        GEMINI_API_KEY=TEST_GOOGLE_KEY,
        GEMINI_BASE_URL=fake_gemini[0].url,
        RETRY_MAX_ATTEMPTS="1",
        FALLBACKS=json.dumps({"mock/mock-fail-server-error": [f"gemini/{REFUSED_BY_SDK}"]}),
    ).start()
    yield proc
    proc.stop()


@pytest.mark.parametrize("tool", ["complete", "stream_complete"])
def test_an_sdk_refusal_is_invalid_request_not_internal(
    chained_server: ServiceProcess, gemini_script: Script, tool: str
) -> None:
    response = httpx.post(
        f"{chained_server.url}/tools/{tool}",
        json={"model": "mock-fail-server-error", "messages": USER, "cache": False},
        timeout=20,
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["type"], error["provider"], error["model"]) == ("invalid_request", "gemini", REFUSED_BY_SDK)
    assert "refused the request before sending it: invalid model parameter" in error["message"]
    assert [h["outcome"] for h in error["hops"]] == ["failed", "failed"]
    assert gemini_script.requests == []  # nothing was sent
    assert "Traceback" not in chained_server.log_text()


@pytest.mark.parametrize("model", ["gemini-2.5-flash?alt=sse", "../gemini-2.5-flash", "gemini&x=1"])
def test_model_names_the_sdk_would_refuse_are_stopped_at_the_edge(
    http: httpx.Client, gemini_script: Script, model: str
) -> None:
    response = http.post(
        "/tools/complete",
        json={"provider": "gemini", "model": model, "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "model"
    assert gemini_script.requests == []


def test_the_server_still_answers_gemini_afterwards(http: httpx.Client, gemini_script: Script) -> None:
    response = http.post(
        "/tools/complete",
        json={
            "provider": "gemini",
            "model": "gemini-2.5-flash",
            "messages": [{"role": "user", "content": "hi"}],
        },
    )
    assert response.status_code == 200, response.text

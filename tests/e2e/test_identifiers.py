"""Names callers choose (providers, models, organizations, conversations) are checked at the edge: real
model ids pass, hostile ones get a 422 naming the field, whatever the entry point."""

from __future__ import annotations

import json

import httpx
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.conftest import ServiceProcess

USER = [{"role": "user", "content": "hi"}]

REAL_MODEL_IDS = [
    "gpt-5-mini",
    "claude-opus-4-8",
    "models/gemini-2.5-flash",
    "llama3.1:8b",
    "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M",
    "accounts/fireworks/models/x",
    "openrouter/anthropic/claude-3.5-sonnet:free",
    "mock-fail-rate_limit-2",
    "ft:gpt-4o:acme@v2+eu",
]

HOSTILE_NAMES = [
    "gemini-2.5-flash?alt=sse",
    "gemini-2.5-flash&key=x",
    "models/../../v1beta/files",
    "gpt 5",
    "gpt-5\nX-Injected: 1",
    "gpt-5\x00",
    '=HYPERLINK("http://evil")',
    "é-model",
    "m" * 201,
]


@pytest.fixture
def http(llm_server: ServiceProcess):
    with httpx.Client(base_url=llm_server.url, timeout=10) as client:
        yield client


def assert_refused(response: httpx.Response, field: str) -> dict:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request" and error["field"] == field
    assert "Traceback" not in response.text
    return error


@pytest.mark.parametrize("model", REAL_MODEL_IDS)
def test_real_model_ids_pass_the_edge(http: httpx.Client, model: str) -> None:
    # The mock provider answers any model name, so every id goes the whole way through the gateway.
    response = http.post("/tools/complete", json={"provider": "mock", "model": model, "messages": USER})
    assert response.status_code == 200, response.text
    assert response.json()["model"] == model


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_hostile_model_names_are_refused_naming_the_field(http: httpx.Client, name: str) -> None:
    error = assert_refused(
        http.post("/tools/complete", json={"provider": "mock", "model": name, "messages": USER}), "model"
    )
    assert name not in error["message"]  # never echoed back
    assert_refused(
        http.post(
            "/tools/complete",
            json={"provider": "mock", "messages": USER, "fallbacks": [{"provider": "mock", "model": name}]},
        ),
        "fallbacks[0].model",
    )
    assert_refused(http.post("/tools/estimate_tokens", json={"model": name, "text": "x"}), "model")
    assert_refused(http.post("/tools/invalidate_cache", json={"model": name}), "model")


def test_a_four_megabyte_model_name_is_refused_cheaply(http: httpx.Client) -> None:
    name = "m" * (4 * 1024 * 1024 - 200)
    body = {"provider": "mock", "model": name, "messages": USER}
    response = http.post("/tools/complete", json=body)
    assert response.status_code in (413, 422) and response.json()["error"]["type"] == "invalid_request"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("provider", "mock/../x"),
        ("provider", "p" * 65),
        ("organization_id", "acme corp"),
        ("organization_id", "acme:admin"),
        ("conversation_id", "conv/../other"),
        ("conversation_id", "c" * 257),
    ],
)
def test_other_identifiers_are_refused_naming_the_field(http: httpx.Client, field: str, value: str) -> None:
    body = {"provider": "mock", "messages": USER, field: value}
    assert_refused(http.post("/tools/complete", json=body), field)


def test_list_models_and_provider_health_check_the_provider(http: httpx.Client) -> None:
    assert_refused(http.get("/tools/list_models", params={"provider": "x" * 100}), "provider")
    assert_refused(http.post("/tools/provider_health", json={"provider": "open ai"}), "provider")
    assert_refused(http.post("/tools/usage_report", json={"organization_id": "a/b"}), "organization_id")


def test_openai_api_refuses_hostile_model_names(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", json={"model": "gpt-5?x=1", "messages": USER})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", "model")
    retrieved = http.get("/v1/models/mock/a..b")
    assert retrieved.status_code == 400 and retrieved.json()["error"]["param"] == "model"


async def test_resource_uris_are_checked_like_arguments(llm_server: ServiceProcess) -> None:
    async with Client(llm_server.mcp_url) as client:
        for uri, field in (
            ("llm://conversations/a..b", "conversation_id"),
            ("llm://conversations/" + "c" * 300, "conversation_id"),
            ("llm://providers/open%20ai/models", "provider"),
        ):
            with pytest.raises(MCPError) as caught:
                await client.read_resource(uri)
            assert caught.value.error.code == -32602, uri
            assert caught.value.error.data["error"]["field"] == field


async def test_an_unknown_provider_in_a_resource_uri_is_invalid_params(llm_server: ServiceProcess) -> None:
    async with Client(llm_server.mcp_url) as client:
        with pytest.raises(MCPError) as caught:
            await client.read_resource("llm://providers/nope/models")
        assert caught.value.error.code == -32602
        assert caught.value.error.data["error"]["type"] == "invalid_request"
        assert "nope" in caught.value.error.message
        with pytest.raises(MCPError) as missing:
            await client.read_resource("llm://nothing/here")
        assert missing.value.error.code == -32002  # not found stays not found
        listed = json.loads((await client.read_resource("llm://providers/mock/models")).contents[0].text)
        assert any(m["id"] == "mock-1" for m in listed["models"])

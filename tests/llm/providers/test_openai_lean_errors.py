"""The lean OpenAI-wire hand-off fails exactly as the official SDK does.

Completions are sent on a pooled aiohttp session instead of the SDK's own client (``openai_http``);
these tests send the same scripted failure to both, the lean path and ``client.chat.completions.create``
(its exception mapped by the same ``map_openai_error``), and require the same gateway error: class,
error type, message, status, retry-after, retryable, and the same SDK exception with the same status and
body underneath. Statuses come with OpenAI's documented error bodies; 429 and 503 carry Retry-After.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from mcp_llm.providers.base import ProviderConfig, ProviderProfile, ProviderRequest
from mcp_llm.providers.openai_errors import VENDOR_ERRORS, map_openai_error
from mcp_llm.providers.openai_wire import OpenAIChatProvider
from mcp_shared.errors import LLMProviderError
from mcp_shared.models import ChatMessage, GenerationParams
from tests.conftest import TEST_OPENAI_KEY
from tests.fakes import openai_api as wire
from tests.fakes.server import FakeServer, Reply, Script, free_port

REQUEST = ProviderRequest(
    "gpt-5-mini", (ChatMessage(role="user", content="Hi"),), GenerationParams(max_tokens=32)
)

STATUSES = {
    400: ("Invalid value for 'temperature'.", "invalid_request_error", "invalid_value", {}),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key", {}),
    403: ("You are not allowed to sample from this model.", "invalid_request_error", None, {}),
    404: ("The model `gpt-9` does not exist.", "invalid_request_error", "model_not_found", {}),
    408: ("Request timed out.", "timeout", None, {}),
    409: ("Conflict with a concurrent request.", "invalid_request_error", None, {}),
    422: ("Unprocessable entity.", "invalid_request_error", None, {}),
    429: ("Rate limit reached for requests.", "requests", "rate_limit_exceeded", {"retry-after": "7"}),
    500: ("The server had an error while processing your request.", "server_error", None, {}),
    503: ("The engine is currently overloaded.", "server_error", None, {"retry-after": "3"}),
}


def _provider(base_url: str, timeout: float = 2.0) -> OpenAIChatProvider:
    return OpenAIChatProvider(
        ProviderConfig(
            key="openai",
            api_key=SecretStr(TEST_OPENAI_KEY),
            base_url=base_url,
            timeout=timeout,
            profile=ProviderProfile(max_tokens_field="max_completion_tokens", reasoning_models=True),
        )
    )


@pytest.fixture
async def provider(
    fake_openai: tuple[FakeServer, Script], openai_script: Script
) -> AsyncIterator[OpenAIChatProvider]:
    adapter = _provider(f"{fake_openai[0].url}/v1")
    yield adapter
    await adapter.aclose()


def summary(error: LLMProviderError) -> dict[str, Any]:
    original = error.original_error
    return {
        "class": type(error),
        "error_type": error.error_type,
        "message": error.message,
        "status": error.status,
        "retry_after": error.retry_after,
        "retryable": error.retryable,
        "sdk_exception": type(original),
        "sdk_status": getattr(original, "status_code", None),
        "sdk_body": getattr(original, "body", None),
    }


async def lean(provider: OpenAIChatProvider, stream: bool) -> LLMProviderError:
    with pytest.raises(LLMProviderError) as caught:
        if stream:
            async for _ in provider.stream(REQUEST):
                pass
        else:
            await provider.complete(REQUEST)
    return caught.value


async def through_sdk(provider: OpenAIChatProvider, stream: bool) -> LLMProviderError:
    """The same call through the official SDK's own client, its exception mapped the same way."""
    arguments = provider._arguments(REQUEST)
    try:
        if stream:
            events = await provider.client.chat.completions.create(**arguments, stream=True)
            async for _ in events:
                pass
        else:
            await provider.client.chat.completions.create(**arguments)
    except VENDOR_ERRORS as exc:
        return map_openai_error(exc, provider.key, REQUEST.model)
    raise AssertionError("the SDK call did not fail")


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize("status", sorted(STATUSES))
async def test_an_http_error_is_the_one_the_sdk_gives(
    provider: OpenAIChatProvider, openai_script: Script, status: int, stream: bool
) -> None:
    message, type_, code, headers = STATUSES[status]
    reply = Reply(status, wire.error_body(message, type_, code), headers=headers)
    openai_script.push(wire.CHAT, reply, reply)
    ours = summary(await lean(provider, stream))
    sdks = summary(await through_sdk(provider, stream))
    assert ours == sdks
    assert ours["sdk_status"] == status
    if "retry-after" in headers:
        assert ours["retry_after"] == float(headers["retry-after"])


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
async def test_a_timeout_is_the_one_the_sdk_gives(
    fake_openai: tuple[FakeServer, Script], openai_script: Script, stream: bool
) -> None:
    provider = _provider(f"{fake_openai[0].url}/v1", timeout=0.5)
    late = Reply(json=wire.completion_body("late"), delay=1.5)
    openai_script.push(wire.CHAT, late, late)
    try:
        assert summary(await lean(provider, stream)) == summary(await through_sdk(provider, stream))
    finally:
        await provider.aclose()


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
async def test_a_refused_connection_is_the_one_the_sdk_gives(stream: bool) -> None:
    provider = _provider(f"http://127.0.0.1:{free_port()}/v1")
    try:
        ours, sdks = summary(await lean(provider, stream)), summary(await through_sdk(provider, stream))
    finally:
        await provider.aclose()
    assert ours == sdks
    assert ours["error_type"].value == "provider_unavailable" and ours["retryable"]


async def test_a_cut_stream_is_the_one_the_sdk_gives(
    provider: OpenAIChatProvider, openai_script: Script
) -> None:
    cut = Reply(stream=wire.stream_frames(["One", " two", " three", " four"]), cut_after=3)
    openai_script.push(wire.CHAT, cut, cut)
    ours, sdks = summary(await lean(provider, True)), summary(await through_sdk(provider, True))
    assert ours == sdks
    assert ours["error_type"].value == "provider_unavailable"


@pytest.mark.parametrize(
    "error",
    [
        {"message": "The server had an error while processing your request.", "type": "server_error"},
        {"message": "This model's maximum context length is 8192 tokens.", "code": "context_length_exceeded"},
    ],
    ids=["server-error", "context-length"],
)
async def test_an_error_event_mid_stream_is_the_one_the_sdk_gives(
    provider: OpenAIChatProvider, openai_script: Script, error: dict[str, Any]
) -> None:
    frames = [*wire.stream_frames(["One"])[:2], f"data: {json.dumps({'error': error})}\n\n"]
    openai_script.push(wire.CHAT, Reply(stream=frames), Reply(stream=frames))
    ours, sdks = summary(await lean(provider, True)), summary(await through_sdk(provider, True))
    assert ours == sdks
    assert ours["sdk_body"] == error

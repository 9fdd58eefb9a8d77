"""The OpenAI wire adapter through the official openai SDK, against a fake of OpenAI's documented format."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from mcp_llm.gateway.retry import RetryPolicy
from mcp_llm.providers.base import ProviderConfig, ProviderProfile, ProviderRequest
from mcp_llm.providers.openai_wire import OpenAIChatProvider
from mcp_shared.errors import (
    AuthenticationError,
    ContextLengthExceededError,
    ModelNotFoundError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)
from mcp_shared.models import ChatMessage, GenerationParams
from tests.conftest import TEST_OPENAI_KEY
from tests.fakes import openai_api as wire
from tests.fakes.server import FakeServer, Reply, Script

MESSAGES = (ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hi"))


def make_request(model: str = "gpt-5-mini", **params: object) -> ProviderRequest:
    return ProviderRequest(model, MESSAGES, GenerationParams(**params))


@pytest.fixture
async def provider(fake_openai: tuple[FakeServer, Script], openai_script: Script):
    server, _ = fake_openai
    adapter = OpenAIChatProvider(
        ProviderConfig(
            key="openai",
            api_key=SecretStr(TEST_OPENAI_KEY),
            base_url=f"{server.url}/v1",
            timeout=2.0,
            profile=ProviderProfile(max_tokens_field="max_completion_tokens", reasoning_models=True),
        )
    )
    yield adapter
    await adapter.aclose()


async def test_completion_maps_parameters_and_usage(
    provider: OpenAIChatProvider, openai_script: Script
) -> None:
    openai_script.push(
        wire.CHAT,
        Reply(
            json=wire.completion_body(
                "Hello!", model="gpt-4.1-2025-04-14", prompt_tokens=20, completion_tokens=3, cached=8
            )
        ),
    )
    answer = await provider.complete(
        make_request("gpt-4.1", max_tokens=50, temperature=0.2, top_p=0.9, stop=["X"])
    )
    assert (answer.content, answer.finish_reason, answer.model) == ("Hello!", "stop", "gpt-4.1-2025-04-14")
    assert (answer.usage.input_tokens, answer.usage.output_tokens, answer.usage.cache_read_tokens) == (
        20,
        3,
        8,
    )
    sent = openai_script.last("/chat/completions")
    assert sent.headers["authorization"] == f"Bearer {TEST_OPENAI_KEY}"
    assert sent.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]
    assert (
        sent.body["max_completion_tokens"],
        sent.body["temperature"],
        sent.body["top_p"],
        sent.body["stop"],
    ) == (50, 0.2, 0.9, ["X"])
    assert "max_tokens" not in sent.body


async def test_reasoning_models_get_no_sampling_parameters(
    provider: OpenAIChatProvider, openai_script: Script
) -> None:
    await provider.complete(make_request("gpt-5-mini", temperature=0.2, top_p=0.9))
    sent = openai_script.last("/chat/completions").body
    assert "temperature" not in sent and "top_p" not in sent


async def test_length_finish_reason_is_normalised(
    provider: OpenAIChatProvider, openai_script: Script
) -> None:
    openai_script.push(wire.CHAT, Reply(json=wire.completion_body("Hel", finish="length")))
    assert (await provider.complete(make_request())).finish_reason == "length"


async def test_stream_yields_chunks_then_finish_and_usage(
    provider: OpenAIChatProvider, openai_script: Script
) -> None:
    openai_script.push(
        wire.CHAT, Reply(stream=wire.stream_frames(["One", " two", " three"], prompt_tokens=11))
    )
    chunks = [c async for c in provider.stream(make_request())]
    assert [c.content for c in chunks if c.content] == ["One", " two", " three"]
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.input_tokens == 11
    assert openai_script.last("/chat/completions").body["stream_options"] == {"include_usage": True}


async def test_stream_cut_mid_answer_is_an_error(provider: OpenAIChatProvider, openai_script: Script) -> None:
    frames = wire.stream_frames(["One", " two", " three", " four"])
    openai_script.push(wire.CHAT, Reply(stream=frames, cut_after=3))
    received = []
    with pytest.raises(ProviderUnavailableError):
        async for chunk in provider.stream(make_request()):
            received.append(chunk.content)
    assert received == ["One", " two"]


async def test_stream_ending_without_finish_reason_is_an_error(
    provider: OpenAIChatProvider, openai_script: Script
) -> None:
    frames = [f for f in wire.stream_frames(["One", " two"]) if '"finish_reason": "stop"' not in f]
    openai_script.push(wire.CHAT, Reply(stream=frames))
    with pytest.raises(ProviderUnavailableError, match="before the model finished"):
        async for _ in provider.stream(make_request()):
            pass


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (wire.unauthorized(), AuthenticationError),
        (wire.model_not_found("gpt-9"), ModelNotFoundError),
        (wire.rate_limited("7"), RateLimitError),
        (wire.server_error(), ProviderUnavailableError),
        (wire.context_length_exceeded(), ContextLengthExceededError),
    ],
)
async def test_http_errors_map_to_the_taxonomy(
    provider: OpenAIChatProvider, openai_script: Script, reply: Reply, error: type[Exception]
) -> None:
    openai_script.push(wire.CHAT, reply)
    with pytest.raises(error) as caught:
        await provider.complete(make_request("gpt-9"))
    assert caught.value.provider == "openai"
    assert TEST_OPENAI_KEY not in str(caught.value)


async def test_rate_limit_reads_retry_after(provider: OpenAIChatProvider, openai_script: Script) -> None:
    openai_script.push(wire.CHAT, wire.rate_limited("7"))
    with pytest.raises(RateLimitError) as caught:
        await provider.complete(make_request())
    assert caught.value.retry_after == 7.0


async def test_errors_in_streams_map_the_same_way(
    provider: OpenAIChatProvider, openai_script: Script
) -> None:
    openai_script.push(wire.CHAT, wire.unauthorized())
    with pytest.raises(AuthenticationError):
        async for _ in provider.stream(make_request()):
            pass


async def test_slow_vendor_is_a_timeout(provider: OpenAIChatProvider, openai_script: Script) -> None:
    openai_script.push(wire.CHAT, Reply(json=wire.completion_body("late"), delay=3.0))
    with pytest.raises(ProviderTimeoutError):
        await provider.complete(make_request())


async def test_429_with_retry_after_is_retried_then_succeeds(
    provider: OpenAIChatProvider, openai_script: Script
) -> None:
    openai_script.push(wire.CHAT, wire.rate_limited("0.1"), Reply(json=wire.completion_body("finally")))
    policy = RetryPolicy(max_attempts=3, initial_wait=0.01, max_wait=2.0)
    answer = await policy.call(lambda: provider.complete(make_request()))
    assert answer.content == "finally"
    assert len([r for r in openai_script.requests if r.path.endswith("/chat/completions")]) == 2


async def test_live_model_list(provider: OpenAIChatProvider) -> None:
    models = await provider.list_live_models()
    assert models is not None and "ft:gpt-4o:acme" in {m.id for m in models}


async def test_response_format_is_sent_as_openai_spells_it(
    provider: OpenAIChatProvider, openai_script: Script
) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    asked = {"type": "json_schema", "json_schema": {"name": "count", "schema": schema, "strict": True}}
    openai_script.push(wire.CHAT, Reply(json=wire.completion_body('{"n": 3}')))
    await provider.complete(make_request("gpt-4.1", response_format=asked))
    assert openai_script.last("/chat/completions").body["response_format"] == asked
    openai_script.push(wire.CHAT, Reply(json=wire.completion_body("plain")))
    await provider.complete(make_request("gpt-4.1", response_format={"type": "text"}))
    assert "response_format" not in openai_script.last("/chat/completions").body

"""mcp-llm as an OpenAI endpoint: the official openai SDK, unchanged, talking to the running gateway."""

from __future__ import annotations

import pytest
from openai import AsyncOpenAI, BadRequestError, NotFoundError, RateLimitError

from tests.conftest import ServiceProcess

USER = [{"role": "user", "content": "Name a prime number."}]


@pytest.fixture
def client(llm_server: ServiceProcess) -> AsyncOpenAI:
    # Auth is off on this server; the SDK insists on some key.
    return AsyncOpenAI(base_url=f"{llm_server.url}/v1", api_key="unused", max_retries=0)


async def test_chat_completion(client: AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(model="mock/mock-1", messages=USER, max_tokens=200)
    assert completion.object == "chat.completion"
    assert completion.model == "mock/mock-1"
    assert completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens > 0


async def test_bare_model_names_and_system_roles(client: AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model="mock-echo",
        messages=[
            {"role": "developer", "content": "Be terse."},
            {"role": "user", "content": [{"type": "text", "text": "ping "}, {"type": "text", "text": "42"}]},
        ],
    )
    assert completion.choices[0].message.content == "ping 42"


async def test_streaming_with_usage(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="mock/mock-1", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    pieces, finish, usage = [], None, None
    async for chunk in stream:
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
            finish = choice.finish_reason or finish
        usage = chunk.usage or usage
    assert len(pieces) >= 3
    assert finish == "stop"
    assert usage is not None and usage.completion_tokens > 0


async def test_stream_cut_raises_in_the_client(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(model="mock/mock-stream-cut", messages=USER, stream=True)
    received = []
    with pytest.raises(Exception, match="cut"):
        async for chunk in stream:
            received.extend(c.delta.content for c in chunk.choices if c.delta.content)
    assert received


async def test_gateway_extras_ride_in_extra_body(client: AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model="mock/mock-fail-rate-limit",
        messages=USER,
        extra_body={"fallbacks": [{"provider": "mock", "model": "mock-1"}]},
    )
    assert completion.model == "mock/mock-1"


async def test_errors_arrive_as_the_sdk_exceptions(client: AsyncOpenAI) -> None:
    with pytest.raises(NotFoundError):
        await client.chat.completions.create(model="mock/mock-fail-not-found", messages=USER)
    with pytest.raises(RateLimitError) as limited:
        await client.chat.completions.create(model="mock/mock-fail-rate-limit", messages=USER)
    assert limited.value.response.headers["retry-after"] == "1"
    with pytest.raises(BadRequestError, match="tools"):
        await client.chat.completions.create(
            model="mock/mock-1",
            messages=USER,
            tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        )
    with pytest.raises(BadRequestError) as invalid:
        await client.chat.completions.create(model="mock/mock-1", messages=[])
    assert invalid.value.body["param"] == "messages"


async def test_models_lists_configured_providers_as_provider_slash_model(client: AsyncOpenAI) -> None:
    ids = {m.id async for m in client.models.list()}
    assert {"mock/mock-1", "openai/gpt-5-mini"} <= ids
    assert not any(i.startswith("grok/") for i in ids)


@pytest.mark.parametrize("model", ["mystery-model-9", "skynet/t-800", "acme/unknown-model"])
async def test_an_unknown_model_is_not_found_as_openai_says_it(client: AsyncOpenAI, model: str) -> None:
    for stream in (False, True):
        with pytest.raises(NotFoundError) as missing:
            await client.chat.completions.create(model=model, messages=USER, stream=stream)
        assert missing.value.status_code == 404
        assert (missing.value.code, missing.value.param) == ("model_not_found", "model")
        assert "pass provider" not in missing.value.message and "/v1/models" in missing.value.message


async def test_models_retrieve(client: AsyncOpenAI) -> None:
    found = await client.models.retrieve("mock/mock-1")
    assert (found.id, found.object, found.owned_by) == ("mock/mock-1", "model", "mock")
    bare = await client.models.retrieve("gpt-5-mini")
    assert bare.id == "openai/gpt-5-mini"
    for missing in ("mock/never-listed-model", "mystery-model-9", "grok/grok-4.3"):
        with pytest.raises(NotFoundError) as caught:
            await client.models.retrieve(missing)
        assert caught.value.code == "model_not_found"


async def test_parameters_the_gateway_cannot_honour_are_refused_unless_left_at_their_defaults(
    client: AsyncOpenAI,
) -> None:
    """A parameter the gateway would silently drop is a 400 naming it; sent at its default it is harmless."""
    for refused in ({"seed": 3}, {"presence_penalty": 0.5}, {"logprobs": True}):
        with pytest.raises(BadRequestError) as caught:
            await client.chat.completions.create(model="mock/mock-1", messages=USER, **refused)
        assert f"parameter '{next(iter(refused))}' is not supported" in str(caught.value)
    with pytest.raises(BadRequestError, match="parameter 'tools' is not supported"):
        await client.chat.completions.create(
            model="mock/mock-1",
            messages=USER,
            tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        )
    answer = await client.chat.completions.create(
        model="mock/mock-1", messages=USER, presence_penalty=0, frequency_penalty=0, logprobs=False
    )
    assert answer.choices[0].message.content

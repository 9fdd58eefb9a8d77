"""The Claude adapter through the official anthropic SDK, against a fake of Anthropic's documented format."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from mcp_llm.providers.anthropic_messages import AnthropicProvider
from mcp_llm.providers.base import ProviderConfig, ProviderRequest
from mcp_shared.errors import (
    AuthenticationError,
    ContextLengthExceededError,
    ModelNotFoundError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)
from mcp_shared.models import ChatMessage, GenerationParams
from tests.fakes import anthropic_api as wire
from tests.fakes.fixtures import TEST_ANTHROPIC_KEY, Fake
from tests.fakes.server import Reply, Script
from tests.llm.providers.streams import texts_before, with_retries

CHAT = (
    ChatMessage(role="system", content="Be brief."),
    ChatMessage(role="system", content="Answer in English."),
    ChatMessage(role="user", content="Hi"),
    ChatMessage(role="user", content="Are you there?"),
    ChatMessage(role="assistant", content="Yes."),
    ChatMessage(role="user", content="Good."),
)


def make_request(model: str = "claude-sonnet-4-6", messages=CHAT, **params: object) -> ProviderRequest:
    return ProviderRequest(model, tuple(messages), GenerationParams(**params))


def sent_messages(script: Script) -> dict:
    return script.last("/v1/messages").body


@pytest.fixture
async def provider(fake_anthropic: Fake, anthropic_script: Script):
    server, _ = fake_anthropic
    adapter = AnthropicProvider(
        ProviderConfig(key="claude", api_key=SecretStr(TEST_ANTHROPIC_KEY), base_url=server.url, timeout=2.0)
    )
    yield adapter
    await adapter.aclose()


async def test_completion_maps_roles_parameters_and_usage(
    provider: AnthropicProvider, anthropic_script: Script
) -> None:
    anthropic_script.push(
        wire.MESSAGES,
        Reply(
            json=wire.message_body(
                "Hello!",
                model="claude-sonnet-4-6-20260217",
                input_tokens=20,
                output_tokens=3,
                cache_read=100,
                cache_write=50,
            )
        ),
    )
    answer = await provider.complete(make_request(max_tokens=50, temperature=0.2, top_p=0.9, stop=["X"]))
    assert (answer.content, answer.finish_reason, answer.model) == (
        "Hello!",
        "stop",
        "claude-sonnet-4-6-20260217",
    )
    usage = answer.usage
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens) == (
        170,
        3,
        100,
        50,
    )
    recorded = anthropic_script.last("/v1/messages")
    assert recorded.headers["authorization"] == f"Bearer {TEST_ANTHROPIC_KEY}"
    assert recorded.headers["anthropic-version"] >= "2026-10-21"
    body = recorded.body
    assert body["system"] == "Be brief.\n\nAnswer in English."
    assert body["messages"] == [
        {"role": "user", "content": "Hi\n\nAre you there?"},
        {"role": "assistant", "content": "Yes."},
        {"role": "user", "content": "Good."},
    ]
    assert (body["max_tokens"], body["stop_sequences"]) == (50, ["X"])
    # that API version rejects every sampling parameter, so none is sent
    assert not {"temperature", "top_p", "top_k", "stop", "stream"} & set(body)


async def test_a_system_only_conversation_is_sent_as_a_user_turn(
    provider: AnthropicProvider, anthropic_script: Script
) -> None:
    await provider.complete(make_request(messages=[ChatMessage(role="system", content="Say hi.")]))
    body = sent_messages(anthropic_script)
    assert body["messages"] == [{"role": "user", "content": "Say hi."}] and "system" not in body


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("max_tokens", "length"),
        ("stop_sequence", "stop"),
        ("refusal", "content_filter"),
        ("tool_use", "tool_calls"),
    ],
)
async def test_stop_reasons_are_normalised(
    provider: AnthropicProvider, anthropic_script: Script, stop_reason: str, finish: str
) -> None:
    text = "" if stop_reason == "refusal" else "Hel"
    anthropic_script.push(wire.MESSAGES, Reply(json=wire.message_body(text, stop_reason=stop_reason)))
    answer = await provider.complete(make_request())
    assert answer.finish_reason == finish


async def test_stream_yields_chunks_then_finish_and_usage(
    provider: AnthropicProvider, anthropic_script: Script
) -> None:
    anthropic_script.push(
        wire.MESSAGES,
        Reply(stream=wire.stream_events(["One", " two", " three"], input_tokens=11, cache_read=4)),
    )
    chunks = [c async for c in provider.stream(make_request())]
    assert [c.content for c in chunks if c.content] == ["One", " two", " three"]
    assert chunks[-1].finish_reason == "stop"
    usage = chunks[-1].usage
    assert usage is not None and (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens) == (
        15,
        3,
        4,
    )
    assert sent_messages(anthropic_script)["stream"] is True


async def test_stream_cut_mid_answer_is_an_error(
    provider: AnthropicProvider, anthropic_script: Script
) -> None:
    events = wire.stream_events(["One", " two", " three", " four"])
    anthropic_script.push(wire.MESSAGES, Reply(stream=events, cut_after=5))  # start, block, ping, two deltas
    assert await texts_before(ProviderUnavailableError, provider.stream(make_request())) == ["One", " two"]


async def test_stream_ending_without_message_stop_is_an_error(
    provider: AnthropicProvider, anthropic_script: Script
) -> None:
    events = [e for e in wire.stream_events(["One"]) if not e.startswith("event: message_stop")]
    anthropic_script.push(wire.MESSAGES, Reply(stream=events))
    await texts_before(ProviderUnavailableError, provider.stream(make_request()), match="message_stop")


async def test_error_event_inside_a_stream_is_mapped(
    provider: AnthropicProvider, anthropic_script: Script
) -> None:
    anthropic_script.push(wire.MESSAGES, wire.overloaded_mid_stream(["One"]))
    await texts_before(ProviderUnavailableError, provider.stream(make_request()), match="overloaded")


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (wire.unauthorized(), AuthenticationError),
        (wire.model_not_found("claude-9"), ModelNotFoundError),
        (wire.rate_limited("7"), RateLimitError),
        (wire.server_error(), ProviderUnavailableError),
        (wire.overloaded(), ProviderUnavailableError),
        (wire.context_length_exceeded(), ContextLengthExceededError),
    ],
)
async def test_http_errors_map_to_the_taxonomy(
    provider: AnthropicProvider, anthropic_script: Script, reply: Reply, error: type[Exception]
) -> None:
    anthropic_script.push(wire.MESSAGES, reply)
    with pytest.raises(error) as caught:
        await provider.complete(make_request("claude-9"))
    assert caught.value.provider == "claude" and caught.value.model == "claude-9"
    assert TEST_ANTHROPIC_KEY not in str(caught.value)
    assert TEST_ANTHROPIC_KEY not in json.dumps(caught.value.to_payload())


async def test_unknown_model_comes_from_the_vendor(provider: AnthropicProvider) -> None:
    with pytest.raises(ModelNotFoundError, match="claude-9"):
        await provider.complete(make_request("claude-9"))


async def test_rate_limit_reads_retry_after(provider: AnthropicProvider, anthropic_script: Script) -> None:
    anthropic_script.push(wire.MESSAGES, wire.rate_limited("7"))
    with pytest.raises(RateLimitError) as caught:
        await provider.complete(make_request())
    assert caught.value.retry_after == 7.0 and caught.value.retryable


async def test_spend_limit_is_not_retried(provider: AnthropicProvider, anthropic_script: Script) -> None:
    anthropic_script.push(wire.MESSAGES, wire.spend_limit_reached())
    with pytest.raises(RateLimitError) as caught:
        await provider.complete(make_request())
    assert not caught.value.retryable


async def test_429_with_retry_after_is_retried_then_succeeds(
    provider: AnthropicProvider, anthropic_script: Script
) -> None:
    anthropic_script.push(wire.MESSAGES, wire.rate_limited("0.1"), Reply(json=wire.message_body("finally")))
    answer = await with_retries(lambda: provider.complete(make_request()))
    assert answer.content == "finally"
    assert len([r for r in anthropic_script.requests if r.path == "/v1/messages"]) == 2


async def test_slow_vendor_is_a_timeout(provider: AnthropicProvider, anthropic_script: Script) -> None:
    anthropic_script.push(wire.MESSAGES, Reply(json=wire.message_body("late"), delay=3.0))
    with pytest.raises(ProviderTimeoutError):
        await provider.complete(make_request())


async def test_token_count_comes_from_the_counting_endpoint(
    provider: AnthropicProvider, anthropic_script: Script
) -> None:
    anthropic_script.push(wire.COUNT, Reply(json={"input_tokens": 41}))
    counted = await provider.count_tokens("claude-sonnet-4-6", list(CHAT))
    assert counted is not None and (counted.tokens, counted.method) == (41, "provider_api")
    body = anthropic_script.last("/v1/messages/count_tokens").body
    assert body["model"] == "claude-sonnet-4-6" and body["system"] == "Be brief.\n\nAnswer in English."
    assert "max_tokens" not in body


async def test_live_model_list_carries_windows(provider: AnthropicProvider) -> None:
    models = await provider.list_live_models()
    assert models is not None
    by_id = {m.id: m for m in models}
    assert (
        by_id["claude-opus-4-8"].context_window == 1_000_000
        and by_id["claude-opus-4-8"].max_output == 128_000
    )


async def test_a_json_schema_is_sent_as_structured_output(
    provider: AnthropicProvider, anthropic_script: Script
) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    anthropic_script.push(wire.MESSAGES, Reply(json=wire.message_body('{"n": 3}', model="claude-sonnet-4-6")))
    asked = {"type": "json_schema", "json_schema": {"name": "count", "schema": schema}}
    await provider.complete(make_request(response_format=asked))
    assert sent_messages(anthropic_script)["output_config"] == {
        "format": {"type": "json_schema", "schema": schema}
    }
    anthropic_script.push(wire.MESSAGES, Reply(json=wire.message_body("{}", model="claude-sonnet-4-6")))
    await provider.complete(make_request(response_format={"type": "json_object"}))
    assert "output_config" not in sent_messages(anthropic_script)  # Claude has no schema-less JSON mode

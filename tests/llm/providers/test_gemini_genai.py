"""The Gemini adapter through the official google-genai SDK, against a fake of Gemini's documented format."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from mcp_llm.providers.base import ProviderConfig, ProviderRequest, ProviderResponse
from mcp_llm.providers.gemini_genai import GeminiProvider
from mcp_shared.errors import (
    AuthenticationError,
    ContextLengthExceededError,
    ModelNotFoundError,
    ProviderBadRequestError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)
from mcp_shared.models import ChatMessage, GenerationParams
from tests.fakes import gemini_api as wire
from tests.fakes.fixtures import TEST_GOOGLE_KEY, Fake
from tests.fakes.server import Reply, Script
from tests.llm.providers.streams import texts_before, with_retries

CHAT = (
    ChatMessage(role="system", content="Be brief."),
    ChatMessage(role="user", content="Hi"),
    ChatMessage(role="assistant", content="Hello."),
    ChatMessage(role="assistant", content="How can I help?"),
    ChatMessage(role="user", content="Tell me a fact."),
)
GENERATE_PATH = "/v1/models/gemini-2.5-flash:generateContent"


def make_request(model: str = "gemini-2.5-flash", messages=CHAT, **params: object) -> ProviderRequest:
    return ProviderRequest(model, tuple(messages), GenerationParams(**params))


@pytest.fixture
async def provider(fake_gemini: Fake, gemini_script: Script):
    server, _ = fake_gemini
    adapter = GeminiProvider(
        ProviderConfig(key="gemini", api_key=SecretStr(TEST_GOOGLE_KEY), base_url=server.url, timeout=2.0)
    )
    yield adapter
    await adapter.aclose()


async def test_completion_maps_roles_parameters_and_usage(
    provider: GeminiProvider, gemini_script: Script
) -> None:
    gemini_script.push(
        wire.GENERATE,
        Reply(
            json=wire.response_body(
                "Water boils at 100 C.",
                model="gemini-2.5-flash",
                prompt=30,
                candidates=8,
                thoughts=20,
                cached=10,
            )
        ),
    )
    answer = await provider.complete(make_request(max_tokens=50, temperature=0.2, top_p=0.9, stop=["X"]))
    assert (answer.content, answer.finish_reason, answer.model) == (
        "Water boils at 100 C.",
        "stop",
        "gemini-2.5-flash",
    )
    usage = answer.usage
    assert (usage.input_tokens, usage.output_tokens, usage.reasoning_tokens, usage.cache_read_tokens) == (
        30,
        28,
        20,
        10,
    )
    recorded = gemini_script.last(":generateContent")
    assert recorded.path == GENERATE_PATH
    assert recorded.headers["x-goog-api-key"] == TEST_GOOGLE_KEY
    body = recorded.body
    assert body["systemInstruction"]["parts"] == [{"text": "Be brief."}]
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "Hi"}]},
        {"role": "model", "parts": [{"text": "Hello.\n\nHow can I help?"}]},
        {"role": "user", "parts": [{"text": "Tell me a fact."}]},
    ]
    assert body["generationConfig"] == {
        "maxOutputTokens": 50,
        "temperature": 0.2,
        "topP": 0.9,
        "stopSequences": ["X"],
    }


async def test_thought_parts_are_not_answer_text(provider: GeminiProvider, gemini_script: Script) -> None:
    body = wire.response_body("The answer is 4.")
    body["candidates"][0]["content"]["parts"].insert(0, {"text": "Let me add 2 and 2.", "thought": True})
    gemini_script.push(wire.GENERATE, Reply(json=body))
    assert (await provider.complete(make_request())).content == "The answer is 4."


@pytest.mark.parametrize(
    ("payload", "finish", "content"),
    [
        (wire.response_body("Hel", finish="MAX_TOKENS"), "length", "Hel"),
        (wire.safety_stop(), "content_filter", ""),
        (wire.blocked_prompt(), "content_filter", ""),
        (wire.response_body("As written in", finish="RECITATION"), "content_filter", "As written in"),
    ],
)
async def test_finish_reasons_and_safety_blocks(
    provider: GeminiProvider, gemini_script: Script, payload: dict, finish: str, content: str
) -> None:
    gemini_script.push(wire.GENERATE, Reply(json=payload))
    answer = await provider.complete(make_request())
    assert (answer.finish_reason, answer.content) == (finish, content)


async def test_stream_yields_chunks_then_finish_and_usage(
    provider: GeminiProvider, gemini_script: Script
) -> None:
    gemini_script.push(wire.STREAM, Reply(stream=wire.stream_frames(["One", " two", " three"], prompt=11)))
    chunks = [c async for c in provider.stream(make_request())]
    assert [c.content for c in chunks if c.content] == ["One", " two", " three"]
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage is not None and (
        chunks[-1].usage.input_tokens,
        chunks[-1].usage.output_tokens,
    ) == (11, 3)
    recorded = gemini_script.last(":streamGenerateContent")
    assert recorded.path == "/v1/models/gemini-2.5-flash:streamGenerateContent"
    assert recorded.query == "alt=sse"


async def test_stream_cut_mid_answer_is_an_error(provider: GeminiProvider, gemini_script: Script) -> None:
    frames = wire.stream_frames(["One", " two", " three", " four"])
    gemini_script.push(wire.STREAM, Reply(stream=frames, cut_after=2))
    assert await texts_before(ProviderUnavailableError, provider.stream(make_request())) == ["One", " two"]


async def test_stream_ending_without_finish_reason_is_an_error(
    provider: GeminiProvider, gemini_script: Script
) -> None:
    frames = wire.stream_frames(["One", " two"])[:-1]  # a clean end of body, but no finishReason ever came
    gemini_script.push(wire.STREAM, Reply(stream=frames))
    await texts_before(
        ProviderUnavailableError, provider.stream(make_request()), match="before the model finished"
    )


async def test_error_object_inside_a_stream_is_an_error(
    provider: GeminiProvider, gemini_script: Script
) -> None:
    overloaded = wire.google_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
    frames = [*wire.stream_frames(["One", " two", " three"])[:1], f"data: {json.dumps(overloaded)}\r\n\r\n"]
    gemini_script.push(wire.STREAM, Reply(stream=frames))
    await texts_before(ProviderUnavailableError, provider.stream(make_request()))


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (wire.invalid_api_key(), AuthenticationError),
        (wire.unauthenticated(), AuthenticationError),
        (wire.model_not_found("gemini-9"), ModelNotFoundError),
        (wire.rate_limited("7s"), RateLimitError),
        (wire.server_error(), ProviderUnavailableError),
        (wire.context_length_exceeded(), ContextLengthExceededError),
    ],
)
async def test_http_errors_map_to_the_taxonomy(
    provider: GeminiProvider, gemini_script: Script, reply: Reply, error: type[Exception]
) -> None:
    gemini_script.push(wire.GENERATE, reply)
    with pytest.raises(error) as caught:
        await provider.complete(make_request("gemini-2.5-flash"))
    assert caught.value.provider == "gemini"
    assert TEST_GOOGLE_KEY not in json.dumps(caught.value.to_payload())


async def test_unknown_model_comes_from_the_vendor(provider: GeminiProvider) -> None:
    with pytest.raises(ModelNotFoundError, match="gemini-9"):
        await provider.complete(make_request("gemini-9"))


async def test_rate_limit_reads_retry_info(provider: GeminiProvider, gemini_script: Script) -> None:
    gemini_script.push(wire.GENERATE, wire.rate_limited("37s"))
    with pytest.raises(RateLimitError) as caught:
        await provider.complete(make_request())
    assert caught.value.retry_after == 37.0 and caught.value.retryable


async def test_exhausted_quota_without_a_delay_is_not_retried(
    provider: GeminiProvider, gemini_script: Script
) -> None:
    reply = wire.rate_limited()
    reply.json["error"]["details"] = reply.json["error"]["details"][:2]  # no RetryInfo
    gemini_script.push(wire.GENERATE, reply)
    with pytest.raises(RateLimitError) as caught:
        await provider.complete(make_request())
    assert not caught.value.retryable


async def test_429_is_retried_then_succeeds(provider: GeminiProvider, gemini_script: Script) -> None:
    gemini_script.push(wire.GENERATE, wire.rate_limited("0.1s"), Reply(json=wire.response_body("finally")))
    answer = await with_retries(lambda: provider.complete(make_request()))
    assert answer.content == "finally"
    assert len([r for r in gemini_script.requests if r.path == GENERATE_PATH]) == 2


async def test_slow_vendor_is_a_timeout(provider: GeminiProvider, gemini_script: Script) -> None:
    gemini_script.push(wire.GENERATE, Reply(json=wire.response_body("late"), delay=3.0))
    with pytest.raises(ProviderTimeoutError):
        await provider.complete(make_request())


async def test_token_count_comes_from_count_tokens(provider: GeminiProvider, gemini_script: Script) -> None:
    gemini_script.push(wire.COUNT, Reply(json={"totalTokens": 23}))
    counted = await provider.count_tokens("gemini-2.5-flash", list(CHAT))
    assert counted is not None and (counted.tokens, counted.method) == (23, "provider_api")
    body = gemini_script.last(":countTokens").body
    assert body["contents"][0] == {
        "role": "user",
        "parts": [{"text": "Be brief."}],
    }  # system text counted too


async def test_live_model_list_keeps_chat_models_with_their_limits(provider: GeminiProvider) -> None:
    models = await provider.list_live_models()
    assert models is not None
    by_id = {m.id: m for m in models}
    assert "gemini-embedding-001" not in by_id
    assert (by_id["gemini-2.5-flash"].context_window, by_id["gemini-2.5-flash"].max_output) == (
        1048576,
        65536,
    )


@pytest.mark.parametrize("model", ["gemini-2.5-flash?alt=sse", "models/../files", "gemini&key=1"])
async def test_model_names_the_sdk_refuses_are_invalid_requests(
    provider: GeminiProvider, gemini_script: Script, model: str
) -> None:
    """google-genai raises ValueError before sending: every vendor-facing method answers invalid_request."""
    with pytest.raises(ProviderBadRequestError) as completed:
        await provider.complete(make_request(model))
    with pytest.raises(ProviderBadRequestError) as streamed:
        async for _ in provider.stream(make_request(model)):
            pass
    with pytest.raises(ProviderBadRequestError) as counted:
        await provider.count_tokens(model, list(CHAT))
    for caught in (completed, streamed, counted):
        assert (caught.value.provider, caught.value.model) == ("gemini", model)
        assert caught.value.status == 400 and "invalid model parameter" in caught.value.message
        assert isinstance(caught.value.original_error, ValueError)
    assert gemini_script.requests == []


async def test_argument_errors_raised_by_our_own_code_stay_bugs(provider: GeminiProvider) -> None:
    """Only the SDK's own refusals are the caller's fault; a ValueError from the adapter is not mapped."""

    class Broken(GeminiProvider):
        async def complete(self, request: ProviderRequest) -> ProviderResponse:
            raise ValueError("a bug in the adapter")

    broken = Broken(provider.config)
    with pytest.raises(ValueError, match="a bug"):
        await broken.complete(make_request())


async def test_response_format_asks_gemini_for_json_following_the_schema(
    provider: GeminiProvider, gemini_script: Script
) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    gemini_script.push(wire.GENERATE, Reply(json=wire.response_body('{"n": 3}', model="gemini-2.5-flash")))
    asked = {"type": "json_schema", "json_schema": {"name": "count", "schema": schema}}
    await provider.complete(make_request(response_format=asked))
    config = gemini_script.last(":generateContent").body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == schema

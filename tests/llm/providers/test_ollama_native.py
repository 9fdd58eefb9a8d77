"""The Ollama adapter over Ollama's native API (NDJSON streaming, /api/tags, /api/show), against a fake."""

from __future__ import annotations

import pytest

from mcp_llm.providers.base import ProviderConfig, ProviderProfile, ProviderRequest
from mcp_llm.providers.ollama_native import OllamaProvider
from mcp_shared.errors import (
    ContextLengthExceededError,
    ModelNotFoundError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)
from mcp_shared.models import ChatMessage, GenerationParams
from tests.fakes import ollama_api as wire
from tests.fakes.fixtures import Fake
from tests.fakes.server import Reply, Script, free_port
from tests.llm.providers.streams import texts_before, with_retries

CHAT = (ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hi"))


def make_request(model: str = "llama3.2", **params: object) -> ProviderRequest:
    return ProviderRequest(model, CHAT, GenerationParams(**params))


def adapter_for(url: str, **options: object) -> OllamaProvider:
    return OllamaProvider(
        ProviderConfig(key="llama", base_url=url, timeout=2.0, profile=ProviderProfile(**options))
    )  # type: ignore[arg-type]


@pytest.fixture
async def provider(fake_ollama: Fake, ollama_script: Script):
    server, _ = fake_ollama
    adapter = adapter_for(server.url, num_ctx=8192)
    yield adapter
    await adapter.aclose()


async def test_completion_maps_parameters_and_usage(provider: OllamaProvider, ollama_script: Script) -> None:
    ollama_script.push(wire.CHAT, Reply(json=wire.chat_body("Hello!", model="llama3.2", prompt=20, output=3)))
    answer = await provider.complete(make_request(max_tokens=50, temperature=0.2, top_p=0.9, stop=["X"]))
    assert (answer.content, answer.finish_reason, answer.model) == ("Hello!", "stop", "llama3.2")
    assert (answer.usage.input_tokens, answer.usage.output_tokens, answer.usage.total_tokens) == (20, 3, 23)
    body = ollama_script.last("/api/chat").body
    assert body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert body["stream"] is False and body["truncate"] is False
    assert body["options"] == {
        "num_predict": 50,
        "temperature": 0.2,
        "top_p": 0.9,
        "stop": ["X"],
        "num_ctx": 8192,
    }


async def test_length_and_missing_done_reason(provider: OllamaProvider, ollama_script: Script) -> None:
    ollama_script.push(wire.CHAT, Reply(json=wire.chat_body("Hel", reason="length")))
    assert (await provider.complete(make_request())).finish_reason == "length"
    old_server = wire.chat_body("Hello")
    del old_server["done_reason"]  # Ollama before 0.3 sent none
    ollama_script.push(wire.CHAT, Reply(json=old_server))
    assert (await provider.complete(make_request())).finish_reason == "stop"


async def test_stream_reads_ndjson_then_finish_and_usage(
    provider: OllamaProvider, ollama_script: Script
) -> None:
    lines = wire.stream_lines(["One", " two", " three"], prompt=11, output=3)
    ollama_script.push(wire.CHAT, Reply(stream=lines, media_type=wire.NDJSON))
    chunks = [c async for c in provider.stream(make_request())]
    assert [c.content for c in chunks if c.content] == ["One", " two", " three"]
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage is not None and (
        chunks[-1].usage.input_tokens,
        chunks[-1].usage.output_tokens,
    ) == (11, 3)
    assert ollama_script.last("/api/chat").body["stream"] is True


async def test_ndjson_lines_split_across_packets_are_reassembled(
    provider: OllamaProvider, ollama_script: Script
) -> None:
    text = "".join(wire.stream_lines(["Split", " lines"]))
    packets = [text[i : i + 7] for i in range(0, len(text), 7)]
    ollama_script.push(wire.CHAT, Reply(stream=packets, media_type=wire.NDJSON))
    chunks = [c async for c in provider.stream(make_request())]
    assert "".join(c.content for c in chunks) == "Split lines" and chunks[-1].finish_reason == "stop"


async def test_stream_cut_mid_answer_is_an_error(provider: OllamaProvider, ollama_script: Script) -> None:
    lines = wire.stream_lines(["One", " two", " three"])
    ollama_script.push(wire.CHAT, Reply(stream=lines, cut_after=2, media_type=wire.NDJSON))
    assert await texts_before(ProviderUnavailableError, provider.stream(make_request())) == ["One", " two"]


async def test_stream_ending_without_done_is_an_error(
    provider: OllamaProvider, ollama_script: Script
) -> None:
    lines = wire.stream_lines(["One", " two"])[:-1]
    ollama_script.push(wire.CHAT, Reply(stream=lines, media_type=wire.NDJSON))
    await texts_before(ProviderUnavailableError, provider.stream(make_request()), match="done")


async def test_error_line_inside_a_stream_is_an_error(
    provider: OllamaProvider, ollama_script: Script
) -> None:
    lines = [
        *wire.stream_lines(["One"])[:1],
        '{"error":"an error was encountered while running the model"}\n',
    ]
    ollama_script.push(wire.CHAT, Reply(stream=lines, media_type=wire.NDJSON))
    await texts_before(
        ProviderUnavailableError, provider.stream(make_request()), match="while running the model"
    )


async def test_model_that_is_not_pulled_says_how_to_pull_it(provider: OllamaProvider) -> None:
    for call in (provider.complete, lambda r: anext(provider.stream(r))):
        with pytest.raises(ModelNotFoundError) as caught:
            await call(make_request("mistral-nemo"))
        assert "ollama pull mistral-nemo" in caught.value.message and caught.value.model == "mistral-nemo"


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (wire.context_length_exceeded(), ContextLengthExceededError),
        (wire.server_error(), ProviderUnavailableError),
        (wire.busy(), ProviderUnavailableError),
        (Reply(429, {"error": "too many requests"}, headers={"retry-after": "3"}), RateLimitError),
    ],
)
async def test_http_errors_map_to_the_taxonomy(
    provider: OllamaProvider, ollama_script: Script, reply: Reply, error: type[Exception]
) -> None:
    ollama_script.push(wire.CHAT, reply)
    with pytest.raises(error) as caught:
        await provider.complete(make_request())
    assert caught.value.provider == "llama"


async def test_a_server_that_is_not_ollama_is_not_a_missing_model(fake_gemini: Fake) -> None:
    server, _ = fake_gemini  # answers 404 with no Ollama error body on /api/chat
    adapter = adapter_for(server.url)
    with pytest.raises(ProviderUnavailableError, match="Ollama server"):
        await adapter.complete(make_request())
    await adapter.aclose()


async def test_busy_server_is_retried_then_succeeds(provider: OllamaProvider, ollama_script: Script) -> None:
    ollama_script.push(wire.CHAT, wire.busy(), Reply(json=wire.chat_body("finally")))
    answer = await with_retries(lambda: provider.complete(make_request()))
    assert answer.content == "finally"


async def test_429_with_retry_after_is_retried_then_succeeds(
    provider: OllamaProvider, ollama_script: Script
) -> None:
    limited = Reply(429, {"error": "too many requests"}, headers={"retry-after": "0.1"})
    ollama_script.push(wire.CHAT, limited, Reply(json=wire.chat_body("after the wait")))
    assert (await with_retries(lambda: provider.complete(make_request()))).content == "after the wait"


async def test_slow_server_is_a_timeout(provider: OllamaProvider, ollama_script: Script) -> None:
    ollama_script.push(wire.CHAT, Reply(json=wire.chat_body("late"), delay=3.0))
    with pytest.raises(ProviderTimeoutError):
        await provider.complete(make_request())


async def test_server_not_running_says_so() -> None:
    adapter = adapter_for(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ProviderUnavailableError, match="is Ollama running"):
        await adapter.complete(make_request())
    with pytest.raises(ProviderUnavailableError, match="is Ollama running"):
        await adapter.list_live_models()
    await adapter.aclose()


async def test_live_list_comes_from_tags_with_windows_from_show(
    provider: OllamaProvider, ollama_script: Script
) -> None:
    models = await provider.list_live_models()
    assert models is not None
    assert {m.id: m.context_window for m in models} == {"llama3.2:latest": 131072, "qwen3:8b": 40960}
    shown = sorted(r.body["model"] for r in ollama_script.requests if r.path == "/api/show")
    assert shown == ["llama3.2:latest", "qwen3:8b"]
    await provider.list_live_models()
    assert len([r for r in ollama_script.requests if r.path == "/api/show"]) == 2  # windows are remembered
    assert provider.live_models_ttl is not None and provider.live_models_ttl <= 60


async def test_response_format_becomes_ollamas_format(
    provider: OllamaProvider, ollama_script: Script
) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    for asked, sent in (
        ({"type": "json_object"}, "json"),
        ({"type": "json_schema", "json_schema": {"name": "count", "schema": schema}}, schema),
    ):
        ollama_script.push(
            wire.CHAT, Reply(json=wire.chat_body('{"n": 3}', model="llama3.2", prompt=5, output=3))
        )
        await provider.complete(make_request(response_format=asked))
        assert ollama_script.last("/api/chat").body["format"] == sent

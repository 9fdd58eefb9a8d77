"""The mock provider: deterministic answers, real streaming shape, and scripted failures."""

from __future__ import annotations

import pytest

from mcp_llm.providers.base import ProviderConfig, ProviderRequest
from mcp_llm.providers.mock import MockProvider
from mcp_shared.errors import (
    AuthenticationError,
    ContextLengthExceededError,
    ModelNotFoundError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)
from mcp_shared.models import ChatMessage, GenerationParams


def make_request(
    model: str = "mock-1", content: str = "Should cities ban cars?", **params: object
) -> ProviderRequest:
    return ProviderRequest(model, (ChatMessage(role="user", content=content),), GenerationParams(**params))


@pytest.fixture
def mock() -> MockProvider:
    return MockProvider(ProviderConfig(key="mock"))


async def test_same_request_same_answer_different_request_different_answer(mock: MockProvider) -> None:
    first = await mock.complete(make_request())
    again = await mock.complete(make_request())
    other = await mock.complete(make_request(content="Is remote work better?"))
    assert first.content == again.content
    assert first.content != other.content
    assert first.finish_reason == "stop"
    assert first.usage.input_tokens > 0 and first.usage.output_tokens > 0
    assert first.usage.total_tokens == first.usage.input_tokens + first.usage.output_tokens


async def test_stream_has_several_chunks_that_add_up_to_the_answer(mock: MockProvider) -> None:
    chunks = [c async for c in mock.stream(make_request())]
    text_chunks = [c for c in chunks if c.content]
    assert len(text_chunks) >= 3
    assert chunks[-1].finish_reason == "stop" and chunks[-1].usage is not None
    assert "".join(c.content for c in chunks) == (await mock.complete(make_request())).content


async def test_max_tokens_truncates_with_length_and_stop_sequences_cut(mock: MockProvider) -> None:
    short = await mock.complete(make_request(max_tokens=5))
    assert short.finish_reason == "length"
    assert short.usage.output_tokens <= 5
    full = await mock.complete(make_request())
    stop_word = full.content.split()[3]
    stopped = await mock.complete(make_request(stop=[stop_word]))
    assert stop_word not in stopped.content


async def test_echo_model_repeats_the_last_user_message(mock: MockProvider) -> None:
    assert (await mock.complete(make_request("mock-echo", "ping 42"))).content == "ping 42"


@pytest.mark.parametrize(
    ("model", "error"),
    [
        ("mock-fail-rate-limit", RateLimitError),
        ("mock-fail-server-error", ProviderUnavailableError),
        ("mock-fail-timeout", ProviderTimeoutError),
        ("mock-fail-auth", AuthenticationError),
        ("mock-fail-not-found", ModelNotFoundError),
        ("mock-fail-context-length", ContextLengthExceededError),
    ],
)
async def test_failure_injection_by_model_name(
    mock: MockProvider, model: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await mock.complete(make_request(model))
    with pytest.raises(error):
        async for _ in mock.stream(make_request(model)):
            pass


async def test_rate_limit_carries_retry_after(mock: MockProvider) -> None:
    with pytest.raises(RateLimitError) as caught:
        await mock.complete(make_request("mock-fail-rate-limit"))
    assert caught.value.retry_after == pytest.approx(0.2)


async def test_flaky_model_fails_n_times_per_distinct_request_then_answers(mock: MockProvider) -> None:
    request = make_request("mock-fail-server-error-2")
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError):
            await mock.complete(request)
    assert (await mock.complete(request)).content
    with pytest.raises(ProviderUnavailableError):  # another request has its own count
        await mock.complete(make_request("mock-fail-server-error-2", content="different"))


async def test_stream_cut_raises_after_some_chunks(mock: MockProvider) -> None:
    received = []
    with pytest.raises(ProviderUnavailableError, match="cut"):
        async for chunk in mock.stream(make_request("mock-stream-cut")):
            received.append(chunk)
    assert len(received) == 2 and all(c.finish_reason is None for c in received)


async def test_small_model_rejects_a_prompt_beyond_its_window(mock: MockProvider) -> None:
    with pytest.raises(ContextLengthExceededError):
        await mock.complete(make_request("mock-small", "word " * 600))
    assert (await mock.complete(make_request("mock-small", "short"))).content

"""The mock provider: deterministic answers, real streaming shape, and scripted failures."""

from __future__ import annotations

import json
import math
import random

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


def conversation(model: str, *messages: tuple[str, str]) -> ProviderRequest:
    return ProviderRequest(
        model,
        tuple(ChatMessage(role=role, content=text) for role, text in messages),
        GenerationParams(),  # type: ignore[arg-type]
    )


async def test_answer_model_always_ends_with_its_final_answer(mock: MockProvider) -> None:
    for topic in ("Should cities ban cars?", "What is 2+2?", ""):
        reply = (await mock.complete(make_request("mock-answer-Paris", topic or "x"))).content
        assert reply.splitlines()[-1] == "Final answer: Paris"
        assert len(reply.splitlines()) == 2 and reply.splitlines()[0]


ANSWERS = (
    "Vote.\n\nFinal answers (each debater's latest):\n- A: 7\n- B: 9\n- C: 9\n\nReply with one JSON object"
)


async def test_judge_names_the_majority_of_the_answers_it_is_shown(mock: MockProvider) -> None:
    reply = await mock.complete(conversation("mock-judge", ("system", "You judge."), ("user", ANSWERS)))
    verdict = json.loads(reply.content)
    assert verdict["answer"] == "9" and verdict["winner"] == "B"
    assert verdict["confidence"] == pytest.approx(0.67) and "2 of 3" in verdict["rationale"]
    tie = ANSWERS.replace("- C: 9\n", "")
    assert (
        json.loads((await mock.complete(conversation("mock-judge", ("user", tie)))).content)["answer"] == "7"
    )


async def test_judge_as_moderator_stops_only_when_everyone_agrees(mock: MockProvider) -> None:
    asked = ANSWERS + ' {"decision": "continue" or "stop", "reason": "..."}'
    split = json.loads((await mock.complete(conversation("mock-judge", ("user", asked)))).content)
    assert split["decision"] == "continue"
    agreed = asked.replace("- A: 7", "- A: 9")
    assert (
        json.loads((await mock.complete(conversation("mock-judge", ("user", agreed)))).content)["decision"]
        == "stop"
    )
    silent = asked.replace("- A: 7", "- A: (no readable answer)").replace("- B: 9\n- C: 9\n", "- B: 9\n")
    assert (
        json.loads((await mock.complete(conversation("mock-judge", ("user", silent)))).content)["decision"]
        == "continue"
    )


async def test_bad_judge_is_unreadable_for_its_first_n_replies(mock: MockProvider) -> None:
    first = (await mock.complete(conversation("mock-judge-bad-2", ("user", ANSWERS)))).content
    with pytest.raises(json.JSONDecodeError):
        json.loads(first)
    again = ("user", ANSWERS), ("assistant", first), ("user", "Your reply could not be read.")
    with pytest.raises(json.JSONDecodeError):
        json.loads((await mock.complete(conversation("mock-judge-bad-2", *again))).content)
    third = (*again, ("assistant", first), ("user", "Again."))
    assert (
        json.loads((await mock.complete(conversation("mock-judge-bad-2", *third))).content)["answer"] == "9"
    )


@pytest.mark.parametrize(
    ("expression", "value"),
    [("3+4*5-2", "21"), ("(1+2)*3", "9"), ("7/2", "3.5"), ("-4 + 10 / 4", "-1.5"), ("2*(3-(4+1))", "-4")],
)
async def test_math_model_computes_exactly_when_it_is_right(
    mock: MockProvider, expression: str, value: str
) -> None:
    request = conversation(
        "mock-math-100", ("system", "You are Alice, a debater."), ("user", f"What is {expression}?")
    )
    assert (await mock.complete(request)).content.splitlines()[-1] == f"Final answer: {value}"


async def test_math_model_is_right_p_percent_of_the_time_and_errs_nearby(mock: MockProvider) -> None:
    """Over 2000 questions accuracy is within three binomial standard deviations of p; a wrong answer is
    within 3 of the right one; the same participant always answers a question the same way."""
    rng = random.Random(7)
    p, n = 0.7, 2000
    right = 0
    for i in range(n):
        a, b, c = rng.randint(1, 99), rng.randint(1, 99), rng.randint(1, 9)
        question = f"What is {a}+{b}*{c}?"
        request = conversation(
            "mock-math-70", ("system", f"You are P{i % 5}, a debater."), ("user", question)
        )
        answer = int((await mock.complete(request)).content.rsplit("Final answer: ", 1)[1])
        assert answer == int((await mock.complete(request)).content.rsplit("Final answer: ", 1)[1])
        right += answer == a + b * c
        assert abs(answer - (a + b * c)) <= 3
    tolerance = 3 * math.sqrt(p * (1 - p) / n)
    assert abs(right / n - p) <= tolerance, (right / n, p, tolerance)


async def test_math_participants_err_differently(mock: MockProvider) -> None:
    question = ("user", "What is 12*12?")
    answers = {
        (
            await mock.complete(conversation("mock-math-50", ("system", f"You are {name}, x."), question))
        ).content
        for name in ("Ann", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus", "Hal")
    }
    assert len(answers) > 1


async def test_math_model_without_arithmetic_argues_like_the_default(mock: MockProvider) -> None:
    for text in ("What is the capital of France?", "What is 1+?", "What is 1/0?", "What is 2**3?"):
        reply = (await mock.complete(conversation("mock-math-100", ("user", text)))).content
        assert "Final answer" not in reply and reply

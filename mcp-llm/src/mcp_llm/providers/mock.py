"""An offline, deterministic provider for development, tests and demos.

Any model name works and the same request always gets the same answer. Some model names inject
failures, so every cross-cutting feature (retries, fallbacks, streaming integrity, quotas) can
be exercised end to end without a network:

=============================  =====================================================================
model                          behaviour
=============================  =====================================================================
``mock-1`` (default), others   a deterministic reply built from the conversation
``mock-echo``                  replies with the last user message verbatim
``mock-small``                 a 512-token context window: longer prompts fail ``context_length_exceeded``
``mock-slow-<ms>``             waits ``<ms>`` milliseconds (at most an hour) before answering
``mock-stream-cut``            streams two chunks, then the connection drops (``complete`` works)
``mock-fail-<kind>``           always fails with ``<kind>``
``mock-fail-<kind>-<n>``       fails the first ``<n>`` attempts of each distinct request, then answers
``mock-answer-<x>``            argues like ``mock-1``, then ends with the line ``Final answer: <x>``
``mock-judge``                 verdict JSON naming the majority of the ``Final answers`` it is shown
                               (``- NAME: ANSWER`` lines); a moderator's ``continue``/``stop`` JSON
                               when asked for a ``"decision"``
``mock-judge-bad-<n>``         as ``mock-judge``, but its first ``<n>`` replies in a conversation are
                               not JSON (to exercise re-asking)
``mock-judge-slow-<ms>``       ``mock-judge`` that waits ``<ms>`` milliseconds; asked to grade an
                               answer (the gateway's quality judge), any ``mock-judge`` replies
                               ``{"score": (words of the answer mod 11) / 10}``
``mock-leak``                  copies the instruction back, then writes another speaker's line and
                               a new instruction (to exercise stop sequences and cleaning)
``mock-drift``                 ends by arguing against its stance unless told to argue for it;
                               every mock answers a stance check (``"consistent"``) deterministically
``mock-summary-bad``           never answers a summary request with the JSON asked for
``mock-math-<p>``              answers the first ``What is <arithmetic>?`` right with probability
                               ``<p>`` %, chosen by a hash of the question and the participant's name
                               (after ``You are`` in the system message); else a nearby number
=============================  =====================================================================

``<kind>`` is one of ``rate-limit`` (retry after 0.2 s), ``server-error``, ``timeout``, ``auth``,
``not-found`` or ``context-length``. The answering models are described in
:mod:`mcp_llm.providers.mock_answers`.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections import OrderedDict
from collections.abc import AsyncIterator

from mcp_llm.providers.base import LiveModel, LLMProvider, ProviderConfig, ProviderRequest, ProviderResponse
from mcp_llm.providers.mock_answers import answer_text
from mcp_llm.tokens import TokenCount
from mcp_shared.errors import (
    AuthenticationError,
    ContextLengthExceededError,
    LLMProviderError,
    ModelNotFoundError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)
from mcp_shared.models import ChatMessage, FinishReason, StreamChunk, Usage

DEFAULT_CONTEXT_WINDOW = 32_768
SMALL_CONTEXT_WINDOW = 512
MOCK_RETRY_AFTER = 0.2
_FAIL = re.compile(r"^mock-fail-(rate-limit|server-error|timeout|auth|not-found|context-length)(?:-(\d+))?$")
_SLOW = re.compile(r"^mock-(?:judge-)?slow-(\d+)$")
MAX_SLOW_MS = 3_600_000
"""The longest wait ``mock-slow-<ms>`` asks for; PROVIDER_TIMEOUT cuts it sooner anyway."""
MAX_FAILURES = 1_000_000
"""The most first attempts ``mock-fail-<kind>-<n>`` fails: more than any retry policy makes."""
_CHUNK_WORDS = 3
_FAILURES: dict[str, tuple[type[LLMProviderError], str]] = {
    "rate-limit": (RateLimitError, "mock rate limit"),
    "server-error": (ProviderUnavailableError, "mock server error (HTTP 500)"),
    "timeout": (ProviderTimeoutError, "mock timeout"),
    "auth": (AuthenticationError, "mock rejected the credentials"),
    "not-found": (ModelNotFoundError, "mock does not serve model '{model}'"),
    "context-length": (ContextLengthExceededError, "mock context window exceeded"),
}
_ATTEMPT_MEMORY = 4096

_OPENINGS = (
    "The strongest point here is evidence",
    "Consider the practical consequences",
    "History offers a useful lesson",
    "The costs must be weighed honestly",
    "A careful reading of the data suggests",
    "The opposing view overlooks a key fact",
)
_CLAIMS = (
    "incremental change compounds over time",
    "incentives shape behaviour more than rules do",
    "the burden of proof lies with those proposing change",
    "second-order effects often dominate first-order ones",
    "measurable outcomes matter more than intentions",
    "trade-offs are unavoidable and should be explicit",
)


def mock_tokens(text: str) -> int:
    """The mock's own token count: about four characters per token, at least one per word."""
    return max(len(text.split()), (len(text) + 3) // 4)


def count_prompt_tokens(messages: tuple[ChatMessage, ...] | list[ChatMessage]) -> int:
    return sum(mock_tokens(m.content) + 4 for m in messages) + 2


def slow_ms(model: str) -> int:
    """The wait a ``mock-slow-<ms>`` name asks for, capped so no number of digits can overflow a timer."""
    found = _SLOW.match(model)
    if found is None:
        return 0
    return _capped(found.group(1), MAX_SLOW_MS)


def _capped(digits: str, cap: int) -> int:
    """A number from a model name, at most ``cap``, read without converting thousands of digits."""
    return cap if len(digits) > len(str(cap)) else min(int(digits), cap)


def context_window_of(model: str) -> int:
    return SMALL_CONTEXT_WINDOW if model == "mock-small" else DEFAULT_CONTEXT_WINDOW


class MockProvider(LLMProvider):
    """Deterministic answers and scripted failures, with no network."""

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self._latency = config.profile.latency_ms / 1000.0
        self._attempts: OrderedDict[str, int] = OrderedDict()

    # -- failure injection -------------------------------------------------------------------

    def _attempt_number(self, request: ProviderRequest) -> int:
        """How many times this exact request has been tried (1 on the first try)."""
        digest = hashlib.sha256(
            repr((request.model, request.messages, request.params.model_dump())).encode()
        ).hexdigest()
        count = self._attempts.pop(digest, 0) + 1
        self._attempts[digest] = count
        while len(self._attempts) > _ATTEMPT_MEMORY:
            self._attempts.popitem(last=False)
        return count

    def _injected_failure(self, request: ProviderRequest) -> LLMProviderError | None:
        found = _FAIL.match(request.model)
        if found is None:
            return None
        kind, limit = found.group(1), found.group(2)
        if limit is not None and self._attempt_number(request) > _capped(limit, MAX_FAILURES):
            return None
        cls, message = _FAILURES[kind]
        retry_after = MOCK_RETRY_AFTER if cls is RateLimitError else None
        return cls(
            message.format(model=request.model),
            provider=self.key,
            model=request.model,
            retry_after=retry_after,
        )

    async def _before_answer(self, request: ProviderRequest) -> None:
        failure = self._injected_failure(request)
        if failure is not None:
            raise failure
        prompt_tokens = count_prompt_tokens(request.messages)
        window = context_window_of(request.model)
        if prompt_tokens > window:
            raise ContextLengthExceededError(
                f"prompt of {prompt_tokens} tokens does not fit the {window}-token window of {request.model}",
                provider=self.key,
                model=request.model,
            )
        delay = self._latency + slow_ms(request.model) / 1000.0
        if delay:
            await asyncio.sleep(delay)

    # -- answers -----------------------------------------------------------------------------

    def _full_text(self, request: ProviderRequest) -> str:
        last_user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        if request.model == "mock-echo":
            return last_user
        seed = hashlib.sha256(
            "\x1f".join(f"{m.role}:{m.content}" for m in request.messages).encode()
        ).digest()
        topic = " ".join(last_user.split()[:12]) or "the question"
        sentences = [
            f"{_OPENINGS[seed[0] % len(_OPENINGS)]}: {_CLAIMS[seed[1] % len(_CLAIMS)]}.",
            f'On "{topic}", {_CLAIMS[seed[2] % len(_CLAIMS)]}, and {_CLAIMS[seed[3] % len(_CLAIMS)]}.',
            f"Therefore my position stands (ref {seed[4:8].hex()}).",
        ]
        argument = " ".join(sentences)
        answered = answer_text(request.model, request.messages, argument)
        return argument if answered is None else answered

    def _answer(self, request: ProviderRequest) -> tuple[str, FinishReason, Usage]:
        """Apply stop sequences and max_tokens to the full text, and count tokens."""
        text = self._full_text(request)
        finish: FinishReason = "stop"
        for stop in request.params.stop or ():
            index = text.find(stop)
            if index >= 0:
                text = text[:index]
        words = text.split(" ")
        kept: list[str] = []
        for word in words:
            if mock_tokens(" ".join([*kept, word])) > request.params.max_tokens:
                finish = "length"
                break
            kept.append(word)
        text = " ".join(kept)
        usage = Usage.of(count_prompt_tokens(request.messages), mock_tokens(text) if text else 0)
        return text, finish, usage

    async def complete(self, request: ProviderRequest) -> ProviderResponse:
        await self._before_answer(request)
        text, finish, usage = self._answer(request)
        return ProviderResponse(content=text, finish_reason=finish, usage=usage, model=request.model)

    async def stream(self, request: ProviderRequest) -> AsyncIterator[StreamChunk]:
        await self._before_answer(request)
        text, finish, usage = self._answer(request)
        words = text.split(" ")
        pieces = [" ".join(words[i : i + _CHUNK_WORDS]) for i in range(0, len(words), _CHUNK_WORDS)]
        for index, piece in enumerate(pieces):
            if request.model == "mock-stream-cut" and index == 2:
                raise ProviderUnavailableError(
                    "mock stream cut: the connection dropped mid-answer",
                    provider=self.key,
                    model=request.model,
                )
            yield StreamChunk(content=piece if index == 0 else " " + piece)
            await asyncio.sleep(0)
        yield StreamChunk(finish_reason=finish, usage=usage)

    async def count_tokens(self, model: str, messages: list[ChatMessage]) -> TokenCount | None:
        """Exact by construction: the same count the mock reports as usage."""
        return TokenCount(count_prompt_tokens(messages), "exact")

    async def list_live_models(self) -> list[LiveModel] | None:
        return None

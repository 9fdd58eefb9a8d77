"""The one object every stage of the completion chain reads and writes, and how stages wrap each other.

A stage is one class with one method, ``handle(attempt, call_next)``: it may act before the stages
inside it run (refuse, answer from somewhere else), around them (a slot, a timer, a retry loop) and
after them (account for what happened), the way an httpx transport wraps another or ASGI middleware
wraps an app. ``compose`` folds the ordered list into one callable once, at start-up.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from mcp_llm.providers.base import LLMProvider, ProviderResponse
from mcp_llm.routing.resolution import Target
from mcp_llm.tokens import TokenCounter
from mcp_shared.errors import ServiceError
from mcp_shared.models import CompletionRequest, CompletionResponse, HopOutcome, Usage
from mcp_shared.server.tools import CallContext, StreamEvent

ChunkSink = Callable[[StreamEvent], Awaitable[None]]
Next = Callable[["Attempt"], Awaitable[None]]

NO_TARGET = Target("", "")


class Stage(Protocol):
    """One step of the completion path; it runs the rest of the chain by awaiting ``call_next(attempt)``."""

    async def handle(self, attempt: Attempt, call_next: Next) -> None: ...


class PromptTokens:
    """The prompt's token count per hop, counted at most once per target (only when a stage needs it)."""

    def __init__(self, counter: TokenCounter, request: CompletionRequest) -> None:
        self._counter = counter
        self._messages = list(request.messages)
        self._memo: dict[Target, int] = {}

    def of(self, hop: Target) -> int:
        found = self._memo.get(hop)
        if found is None:
            found = self._memo[hop] = self._counter.count_messages(
                hop.provider, hop.model, self._messages
            ).tokens
        return found


@dataclass(slots=True)
class StreamState:
    """Whether the caller has already received part of an answer (then nothing may be retried)."""

    started: bool = False
    first_chunk_at: float | None = None
    delivered: list[str] = field(default_factory=list)
    """Text that reached the caller: billed even when the stream is then cut."""


@dataclass(slots=True)
class Attempt:
    """One completion on its way through the chain: the request, whom it is for, where it goes, the answer.

    Request-wide fields are set once by the outer stages; the per-hop fields below ``target`` are reset
    by the fallback stage before each hop (``begin_hop``).
    """

    request: CompletionRequest
    call: CallContext
    sink: ChunkSink | None
    """Where chunks go as they arrive (``None``: the caller wants one answer)."""
    started: float = field(default_factory=time.perf_counter)
    organization: str = ""
    primary: Target = NO_TARGET
    chain: list[Target] = field(default_factory=list)
    outcomes: list[HopOutcome] = field(default_factory=list)
    prompt: PromptTokens | None = None
    stream: StreamState = field(default_factory=StreamState)

    # -- per hop ---------------------------------------------------------------------------------
    target: Target = NO_TARGET
    cache_key: str | None = None
    cached: bool = False
    adapter: LLMProvider | None = None
    admitted: bool = False
    """True once the hop holds a provider slot: only then does a failure say anything about its health."""
    call_started: float = 0.0
    answer: ProviderResponse | None = None
    usage: Usage | None = None
    cost_usd: float = 0.0
    partial: bool = False
    """True when the hop failed after part of the answer reached the caller (that part is billed)."""
    retries: int = 0
    """Provider calls repeated by the retry policy, over every hop (a quality signal)."""
    response: CompletionResponse | None = None

    def begin_hop(self, hop: Target) -> None:
        self.target = hop
        self.cache_key = None
        self.cached = self.admitted = self.partial = False
        self.answer = self.usage = self.response = self.adapter = None
        self.cost_usd = 0.0

    def prompt_tokens(self) -> int:
        """The prompt's size for the current hop's tokenizer."""
        assert self.prompt is not None, "the routing stage sets the prompt counter"
        return self.prompt.of(self.target)

    @property
    def chained(self) -> bool:
        return len(self.chain) > 1


class HopSkipped(Exception):
    """A stage decided this hop cannot take the call; the fallback stage moves on to the next one.

    ``error`` is what the caller gets when every hop of the chain was skipped for this reason.
    """

    def __init__(self, reason: str, detail: str, error: ServiceError) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.error = error


async def _end(attempt: Attempt) -> None:
    raise AssertionError("the provider stage is the innermost and never calls further")


def compose(stages: Sequence[Stage]) -> Next:
    """``[a, b, c]`` -> ``a`` wrapping ``b`` wrapping ``c``: one callable, built once."""
    handler: Next = _end
    for stage in reversed(stages):
        handler = partial(stage.handle, call_next=handler)
    return handler

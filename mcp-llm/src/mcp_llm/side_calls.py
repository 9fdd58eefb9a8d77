"""The completion chain, for a part that makes calls of its own (a compression summary, the quality
judge's scoring): such a call is routed, cached, metered and billed like any other.

The chain contains those parts, so it cannot exist when they are built: each takes a ``SideCalls`` in
its constructor, and the gateway binds it once it has composed the chain. It sits below the gateway so
that parts the gateway imports (``quality``) can take one too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from mcp_shared.models import CompletionRequest, CompletionResponse
from mcp_shared.server.tools import CallContext

Complete = Callable[[CompletionRequest, CallContext], Awaitable[CompletionResponse]]


class SideCalls:
    """The chain's ``complete``, bound by the gateway when it composes the chain."""

    def __init__(self) -> None:
        self._complete: Complete | None = None

    def bind(self, complete: Complete) -> None:
        self._complete = complete

    async def complete(self, request: CompletionRequest, call: CallContext) -> CompletionResponse:
        assert self._complete is not None, "the gateway binds its side calls when it composes the chain"
        return await self._complete(request, call)

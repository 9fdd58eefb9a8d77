"""The path of every completion: one ``Attempt`` through the ordered chain of stages in ``chain.py``.

Streaming follows the same chain. Chunks go to the caller as they arrive; retries and fallbacks
happen only before the first chunk, and a stream cut after it is an error, never a short success
(and the part that reached the caller is billed).

Every provider attempt is bounded by ``PROVIDER_TIMEOUT`` (``deadline.py``). A caller that leaves
cancels the call: its queue slot and quota reservation are given back on the way out, and a stream
it had started to receive is billed for what reached it.
"""

from __future__ import annotations

from mcp_llm.gateway.attempt import Attempt, ChunkSink, compose
from mcp_llm.gateway.chain import Parts, stages
from mcp_shared.models import CompletionRequest, CompletionResponse
from mcp_shared.server.tools import CallContext


class Gateway:
    """Runs completions through the stage chain; exposes the parts the tools share with it."""

    def __init__(self, parts: Parts) -> None:
        self.providers = parts.providers
        self.resolver = parts.resolver
        self.cache = parts.cache
        self.organizations = parts.organizations
        self._handle = compose(stages(parts))
        parts.side_calls.bind(self.complete)

    async def complete(self, request: CompletionRequest, call: CallContext) -> CompletionResponse:
        return await self._run(request, call, sink=None)

    async def stream(self, request: CompletionRequest, call: CallContext) -> CompletionResponse:
        """Like ``complete``, sending each chunk to ``call.emit`` as it arrives."""
        return await self._run(request, call, sink=call.emit)

    async def _run(
        self, request: CompletionRequest, call: CallContext, sink: ChunkSink | None
    ) -> CompletionResponse:
        attempt = Attempt(request, call, sink)
        await self._handle(attempt)
        assert attempt.response is not None, "the chain answers or raises"
        return attempt.response

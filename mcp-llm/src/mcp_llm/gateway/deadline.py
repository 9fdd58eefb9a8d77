"""``PROVIDER_TIMEOUT`` around every provider attempt, whatever the adapter does on its own.

Vendor SDKs give up on a silent socket, but not on an answer that trickles in, and an adapter that
waits without a socket (the mock) has no timeout at all. So the gateway bounds each attempt itself:
a whole answer must arrive within the timeout; a stream must send its first chunk, and each next
one, within it, so a long answer that keeps coming is never cut. An attempt that runs out is a
``timeout`` error, retried and fallen back from like a vendor's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

from mcp_shared.errors import ProviderTimeoutError
from mcp_shared.models import StreamChunk

T = TypeVar("T")


def expired(provider: str, model: str, seconds: float, what: str) -> ProviderTimeoutError:
    return ProviderTimeoutError(
        f"{provider} did not {what} within {seconds:g} s (PROVIDER_TIMEOUT)", provider=provider, model=model
    )


async def answer_within(seconds: float, provider: str, model: str, answer: Awaitable[T]) -> T:
    """The answer, or a ``timeout`` error once ``seconds`` have passed."""
    try:
        async with asyncio.timeout(seconds):
            return await answer
    except TimeoutError:
        raise expired(provider, model, seconds, "answer") from None


async def chunks_within(
    seconds: float, provider: str, model: str, stream: AsyncIterator[StreamChunk]
) -> AsyncIterator[StreamChunk]:
    """The stream's chunks, each due within ``seconds`` of the one before (the first of the request)."""
    what = "start answering"
    try:
        while True:
            try:
                async with asyncio.timeout(seconds):
                    chunk = await anext(stream)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise expired(provider, model, seconds, what) from None
            what = "send the next chunk"
            yield chunk
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()

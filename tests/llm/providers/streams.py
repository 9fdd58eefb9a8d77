"""What every adapter test does with a stream or a retried call, written once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import pytest

from mcp_llm.gateway.retry import RetryPolicy
from mcp_shared.models import StreamChunk

T = TypeVar("T")

QUICK_RETRIES = RetryPolicy(max_attempts=3, initial_wait=0.01, max_wait=2.0)


async def texts_before(
    error: type[Exception], stream: AsyncIterator[StreamChunk], match: str | None = None
) -> list[str]:
    """The text chunks a stream gave before failing with ``error`` (which it must)."""
    received: list[str] = []
    with pytest.raises(error, match=match):
        async for chunk in stream:
            if chunk.content:
                received.append(chunk.content)
    return received


async def with_retries(call: Callable[[], Awaitable[T]]) -> T:
    """``call`` under the gateway's retry policy, with waits short enough for tests."""
    return await QUICK_RETRIES.call(call)

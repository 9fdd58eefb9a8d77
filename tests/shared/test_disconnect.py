"""``unless_disconnected``: the work runs in the caller's task and is cancelled, cleaned up, when the
client leaves; any other cancellation passes through untouched."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mcp_shared.server.disconnect import ClientDisconnected, unless_disconnected


class Channel:
    """An ASGI ``receive`` whose disconnect message is sent when the test says so."""

    def __init__(self) -> None:
        self.left = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        await self.left.wait()
        return {"type": "http.disconnect"}


async def test_the_answer_comes_back_and_the_caller_is_not_cancelled_afterwards() -> None:
    channel = Channel()

    async def work() -> str:
        return "answer"

    assert await unless_disconnected(channel.receive, work()) == "answer"
    channel.left.set()  # a late disconnect must not reach the finished caller
    await asyncio.sleep(0.01)
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_a_client_that_leaves_cancels_the_work_and_its_clean_up_runs_first() -> None:
    channel, released = Channel(), []

    async def work() -> str:
        try:
            await asyncio.sleep(30)
            return "never"
        finally:
            released.append("slot")

    asyncio.get_running_loop().call_later(0.02, channel.left.set)
    with pytest.raises(ClientDisconnected):
        await unless_disconnected(channel.receive, work())
    assert released == ["slot"]
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_a_broken_receive_channel_counts_as_a_client_gone() -> None:
    async def broken() -> dict[str, Any]:
        raise OSError("connection reset")

    with pytest.raises(ClientDisconnected):
        await unless_disconnected(broken, asyncio.sleep(30))


async def test_a_cancellation_from_outside_is_not_mistaken_for_a_disconnect() -> None:
    channel = Channel()
    started = asyncio.Event()

    async def caller() -> None:
        async def work() -> None:
            started.set()
            await asyncio.sleep(30)

        await unless_disconnected(channel.receive, work())

    task = asyncio.create_task(caller())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_an_outside_cancellation_racing_a_disconnect_stays_a_cancellation() -> None:
    channel = Channel()
    started = asyncio.Event()

    async def caller() -> None:
        async def work() -> None:
            started.set()
            await asyncio.sleep(30)

        await unless_disconnected(channel.receive, work())

    task = asyncio.create_task(caller())
    await started.wait()
    channel.left.set()
    await asyncio.sleep(0)  # the watcher runs and cancels the caller
    task.cancel()  # ... and shutdown cancels it as well
    with pytest.raises(asyncio.CancelledError):
        await task

"""Relaying a streaming call to an HTTP response.

A producer runs in its own task and emits events; the relay hands them out in order, followed by
the final result or the error. The first item is awaited before any response is sent, so a call that
fails before its first chunk can still answer with a plain JSON error and a proper status. A client
that leaves stops the producer: before the first item through :meth:`StreamRelay.first_while_connected`,
after it by closing the stream of items.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mcp_shared.errors import ServiceError
from mcp_shared.server.disconnect import ClientDisconnected, unless_disconnected
from mcp_shared.server.tools import EventSink, StreamEvent

_QUEUE_SIZE = 256
ResultT = TypeVar("ResultT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Relayed(Generic[ResultT]):
    """One item of a relayed stream: an event, the final result, or the error that ended it."""

    event: StreamEvent | None = None
    result: ResultT | None = None
    error: ServiceError | None = None


class StreamRelay(Generic[ResultT]):
    """Runs ``produce(emit)`` in a task and exposes what it emits as an async sequence."""

    def __init__(self, produce: Callable[[EventSink], Awaitable[ResultT]]) -> None:
        self._queue: asyncio.Queue[Relayed[ResultT]] = asyncio.Queue(maxsize=_QUEUE_SIZE)
        self._task = asyncio.create_task(self._run(produce))
        self._first: Relayed[ResultT] | None = None

    async def _run(self, produce: Callable[[EventSink], Awaitable[ResultT]]) -> None:
        async def emit(event: StreamEvent) -> None:
            await self._queue.put(Relayed(event=event))

        try:
            await self._queue.put(Relayed(result=await produce(emit)))
        except ServiceError as exc:
            await self._queue.put(Relayed(error=exc))

    async def first(self) -> Relayed[ResultT]:
        """The first item; if it is an error, the producer has finished."""
        if self._first is None:
            self._first = await self._queue.get()
            if self._first.error is not None:
                await self._task
        return self._first

    async def first_while_connected(self, receive: Receive) -> Relayed[ResultT] | None:
        """The first item; None when the client disconnects before it (the producer is then stopped)."""
        try:
            return await unless_disconnected(receive, self.first())
        except ClientDisconnected:
            await self.cancel()
            return None

    async def cancel(self) -> None:
        """Stop the producer (nobody will read what it makes) and wait until it has cleaned up."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def items(self) -> AsyncIterator[Relayed[ResultT]]:
        """Every item from the first to the final result or error; closing early cancels the producer."""
        item = await self.first()
        try:
            while True:
                yield item
                if item.event is None:
                    return
                item = await self._queue.get()
        finally:
            if not self._task.done():
                self._task.cancel()


class WatchedStreamingResponse(Response):
    """Sends an async iterator of body parts, from the request's own task, until it ends or the client
    leaves.

    Starlette's ``StreamingResponse`` does the same under ASGI 2.3 (what uvicorn speaks) with a task
    group of two tasks per response, one sending and one waiting for a disconnect. Here one watcher task
    beside the sending task is enough (``unless_disconnected``): a client that leaves cancels the send,
    and the cancellation runs through the iterator into the relay's ``items``, which stops the producer.
    """

    def __init__(self, parts: AsyncIterator[bytes], media_type: str, headers: Mapping[str, str]) -> None:
        self.parts = parts
        self.status_code = 200
        self.media_type = media_type
        self.background = None
        self.init_headers(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_all() -> None:
            await send(
                {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
            )
            async for part in self.parts:
                await send({"type": "http.response.body", "body": part, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        with contextlib.suppress(ClientDisconnected):  # nobody is left to read; the producer was stopped
            await unless_disconnected(receive, send_all())

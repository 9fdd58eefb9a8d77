"""Cancelling work whose HTTP client has gone away.

uvicorn does not cancel a request's task when the client closes its connection: it only answers the
next ``receive()`` with ``http.disconnect``. Once the request body has been read nothing else arrives
on ``receive`` but that message, so waiting for it next to the work tells when nobody is left to
answer. The work (a provider call holding a queue slot and a quota reservation) is then cancelled
instead of running to its end for no one, and its clean-up runs before the request ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from starlette.responses import Response
from starlette.types import Receive

T = TypeVar("T")

CLIENT_CLOSED_STATUS = 499
"""Logged for a request whose client left before its answer (nginx's convention); nobody receives it."""


class ClientDisconnected(Exception):
    """The client closed the connection before its answer was ready."""


def client_gone() -> Response:
    """What a route returns once its client has left: nothing is sent on a closed connection."""
    return Response(status_code=CLIENT_CLOSED_STATUS)


async def until_disconnect(receive: Receive) -> None:
    """Return when the client disconnects (call only after the body has been read)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def unless_disconnected(receive: Receive, work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to its result, or cancel it and raise :class:`ClientDisconnected` if the client leaves.

    The cancelled work is awaited, so whatever it holds is released before this returns.
    """
    task: asyncio.Task[T] = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(until_disconnect(receive))
    try:
        await asyncio.wait((task, watcher), return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        watcher.cancel()
    if watcher.done() and not watcher.cancelled():
        watcher.exception()  # retrieved: a receive channel that broke means the client is gone as well
        if task.cancelled():
            raise ClientDisconnected
    return task.result()

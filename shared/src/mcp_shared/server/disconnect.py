"""Cancelling work whose HTTP client has gone away.

uvicorn does not cancel a request's task when the client closes its connection: it only answers the
next ``receive()`` with ``http.disconnect``. Once the request body has been read nothing else arrives
on ``receive`` but that message, so waiting for it next to the work tells when nobody is left to
answer. The work (a provider call holding a queue slot and a quota reservation) is then cancelled
instead of running to its end for no one, and its clean-up runs before the request ends.
"""

from __future__ import annotations

import asyncio
import contextlib
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

    ``work`` runs in the caller's own task (one watcher task beside it, not a task for each), so a
    client that leaves cancels the caller's task, and whatever the work holds is released before this
    returns. A receive channel that breaks means the client is gone as well.
    """
    caller = asyncio.current_task()
    assert caller is not None, "unless_disconnected runs inside a task"
    gone = finished = False

    async def watch() -> None:
        nonlocal gone
        with contextlib.suppress(Exception):
            await until_disconnect(receive)
        if not finished:
            gone = True
            caller.cancel()

    watcher = asyncio.ensure_future(watch())
    try:
        return await work
    except asyncio.CancelledError:
        if gone and caller.uncancel() == 0:  # cancelled by the watcher alone, not also from outside
            raise ClientDisconnected from None
        raise
    finally:
        finished = True
        watcher.cancel()

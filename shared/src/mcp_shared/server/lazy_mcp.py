"""The MCP streamable-HTTP endpoint, built on the first request to /mcp rather than at start.

Importing the MCP SDK's server and its protocol models is most of a service's start time and a
large share of its idle memory, and a process serving only the plain HTTP routes or the OpenAI API
never needs them. The endpoint is an ASGI app that, on its first request, builds the MCP server (in a
worker thread, so other requests are served meanwhile) and runs its session manager in a task of the
app's lifespan (the manager's task group must live as long as the app, not as long as the request that
woke it); concurrent first requests wait for the one build.

A stateless server gets a second session manager that answers with one JSON body, used for the
requests that can receive nothing during the call (``mcp_answer_form``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskGroup, TaskStatus
from starlette.types import Receive, Scope, Send

from mcp_shared.server.disconnect import ClientDisconnected, unless_disconnected
from mcp_shared.server.mcp_answer_form import answers_in_one_body, read_buffered, replaying

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager


@dataclass(frozen=True)
class Managers:
    """The SDK's session managers: one answering on SSE streams, and for a stateless server one
    answering with a single JSON body."""

    streaming: StreamableHTTPSessionManager
    single_body: StreamableHTTPSessionManager | None = None


Build = Callable[[], "tuple[Server[Any], Managers]"]


class LazyMCPEndpoint:
    """ASGI app for /mcp that builds and starts the MCP server on first use; ``running`` hosts it."""

    def __init__(self, build: Build) -> None:
        self._build = build
        self._managers: Managers | None = None
        self._task_group: TaskGroup | None = None
        self._lock = anyio.Lock()
        self._stop = anyio.Event()

    @property
    def started(self) -> bool:
        """Whether the MCP server has been built (a test and the metrics may ask)."""
        return self._managers is not None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Held open by the app's lifespan: the MCP server, once built, runs inside it."""
        async with anyio.create_task_group() as group:
            self._task_group = group
            try:
                yield
            finally:
                self._stop.set()
                self._task_group = None

    async def _serve(self, *, task_status: TaskStatus[Managers]) -> None:
        # In a worker thread: the imports take about a second of CPU, which on the event loop would hold
        # up every other request (health checks included) behind the first MCP client.
        _server, managers = await anyio.to_thread.run_sync(self._build)
        async with AsyncExitStack() as running:
            await running.enter_async_context(managers.streaming.run())
            if managers.single_body is not None:
                await running.enter_async_context(managers.single_body.run())
            task_status.started(managers)
            await self._stop.wait()

    async def _managers_ready(self) -> Managers:
        if self._managers is None:
            async with self._lock:
                if self._managers is None:
                    if self._task_group is None:
                        raise RuntimeError("the MCP endpoint is served only while the app's lifespan runs")
                    self._managers = await self._task_group.start(self._serve)
        return self._managers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        managers = await self._managers_ready()
        single = managers.single_body
        if single is None or scope["method"] != "POST":
            await managers.streaming.asgi_app(scope, receive, send)
            return
        messages, body = await read_buffered(receive, single.max_request_body_size)
        if not answers_in_one_body(scope, body):
            await managers.streaming.asgi_app(scope, replaying(messages, receive), send)
            return
        # The SDK's single-body answer does not notice a client that leaves (its stream would): the
        # call is cancelled here instead, giving its queue slot and quota back at once.
        with contextlib.suppress(ClientDisconnected):
            await unless_disconnected(receive, single.asgi_app(scope, replaying(messages, receive), send))

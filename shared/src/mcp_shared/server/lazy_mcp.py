"""The MCP streamable-HTTP endpoint, built on the first request to /mcp rather than at start.

Importing the MCP SDK's server and its protocol models is most of a service's start time and a
large share of its idle memory, and a process serving only the plain HTTP routes or the OpenAI API
never needs them. The endpoint is an ASGI app that, on its first request, builds the MCP server (in a
worker thread, so other requests are served meanwhile) and runs its session manager in a task of the
app's lifespan (the manager's task group must live as long as the app, not as long as the request that
woke it); concurrent first requests wait for the one build.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskGroup, TaskStatus
from starlette.types import Receive, Scope, Send

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

Build = Callable[[], "tuple[Server[Any], StreamableHTTPSessionManager]"]


class LazyMCPEndpoint:
    """ASGI app for /mcp that builds and starts the MCP server on first use; ``running`` hosts it."""

    def __init__(self, build: Build) -> None:
        self._build = build
        self._manager: StreamableHTTPSessionManager | None = None
        self._task_group: TaskGroup | None = None
        self._lock = anyio.Lock()
        self._stop = anyio.Event()

    @property
    def started(self) -> bool:
        """Whether the MCP server has been built (a test and the metrics may ask)."""
        return self._manager is not None

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

    async def _serve(self, *, task_status: TaskStatus[StreamableHTTPSessionManager]) -> None:
        # In a worker thread: the imports take about a second of CPU, which on the event loop would hold
        # up every other request (health checks included) behind the first MCP client.
        _server, manager = await anyio.to_thread.run_sync(self._build)
        async with manager.run():
            task_status.started(manager)
            await self._stop.wait()

    async def _manager_ready(self) -> StreamableHTTPSessionManager:
        if self._manager is None:
            async with self._lock:
                if self._manager is None:
                    if self._task_group is None:
                        raise RuntimeError("the MCP endpoint is served only while the app's lifespan runs")
                    self._manager = await self._task_group.start(self._serve)
        return self._manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        manager = await self._manager_ready()
        await manager.asgi_app(scope, receive, send)

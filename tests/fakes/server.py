"""A real HTTP server on 127.0.0.1 for fake vendor APIs, scripted reply by reply.

Tests push replies (a JSON body, an error with headers, an SSE stream, a stream cut mid-way) and
the next request to that route gets them; with nothing scripted a route answers its default.
Every request is recorded, so tests can assert what the official SDK actually sent.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    stream: list[str] | None = None
    """Raw SSE (or NDJSON) lines/frames sent one by one when set."""
    cut_after: int | None = None
    """Drop the connection after this many stream frames (no terminating frame)."""
    delay: float = 0.0
    frame_delay: float = 0.001
    """Seconds between stream frames (a slow model writes slowly)."""
    media_type: str = "text/event-stream"
    abandoned: bool = False
    """Set when the client (mcp-llm) closed the stream before its last frame."""


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    query: str = ""


class Script:
    """Scripted replies per route key, plus a record of every request."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[Reply]] = defaultdict(deque)
        self.requests: list[Recorded] = []

    def push(self, route: str, *replies: Reply) -> None:
        self._queues[route].extend(replies)

    def next(self, route: str) -> Reply | None:
        queue = self._queues[route]
        return queue.popleft() if queue else None

    def reset(self) -> None:
        self._queues.clear()
        self.requests.clear()

    def last(self, path_suffix: str = "") -> Recorded:
        return [r for r in self.requests if r.path.endswith(path_suffix)][-1]


async def record(script: Script, request: Request) -> Any:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")
    script.requests.append(
        Recorded(request.method, request.url.path, dict(request.headers), body, request.url.query)
    )
    return body


async def render(reply: Reply) -> Response:
    """Turn a scripted reply into a response; a cut stream really drops the TCP connection."""
    if reply.delay:
        await asyncio.sleep(reply.delay)
    if reply.stream is None:
        return JSONResponse(reply.json, status_code=reply.status, headers=reply.headers)

    frames = reply.stream if reply.cut_after is None else reply.stream[: reply.cut_after]

    async def body() -> AsyncIterator[bytes]:
        sent = 0
        try:
            for frame in frames:
                yield frame.encode()
                sent += 1
                await asyncio.sleep(reply.frame_delay)
        finally:
            reply.abandoned = sent < len(frames)
        if reply.cut_after is not None:
            raise ConnectionResetError("scripted cut")  # uvicorn aborts the response mid-body

    return StreamingResponse(
        body(), status_code=reply.status, media_type=reply.media_type, headers=reply.headers
    )


def scripted_route(
    path: str, key: str, script: Script, default: Callable[[Any], Reply], methods: tuple[str, ...] = ("POST",)
) -> Route:
    """A route that records the request and answers the next scripted reply, else ``default(body)``."""

    async def endpoint(request: Request) -> Response:
        body = await record(script, request)
        reply = script.next(key) or default(body)
        return await render(reply)

    return Route(path, endpoint, methods=list(methods))


class FakeServer:
    """Serves an ASGI app on a free loopback port from a background thread."""

    def __init__(self, app: Starlette, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

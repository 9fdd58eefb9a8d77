"""Server-sent event streams of debates, for the web page (and anyone with ``curl -N``).

``GET /debates/{id}/events`` follows one debate: first a ``debate`` event (the debate as ``get_debate``
shows it) and a ``message`` event per message after ``after_seq`` (or the ``Last-Event-ID`` a
reconnecting ``EventSource`` sends), then, as they happen, ``chunk`` events (the text of the turn
being written: turn, round, speaker, text), a ``message`` event per committed message and a ``debate``
event per change. A debate that ends (completed, cancelled) gets an ``end`` event and the stream closes.
``GET /debates/events`` follows the caller's whole list: one ``debate`` event (a list row) per change.

Nothing is polled: the streams wait on the hub, which hears of each committed write. A comment line
every ``KEEPALIVE`` seconds keeps proxies from closing an idle stream. The number of open streams is
capped (503 beyond it), so watchers cannot exhaust the process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from mcp_debate.access import caller_organization
from mcp_debate.domain.models import MAX_POSITION, DebateId, DebateView
from mcp_debate.domain.states import DebateState
from mcp_debate.hub import Watch
from mcp_debate.orchestrator import Orchestrator
from mcp_debate.watching.overview import Overview
from mcp_shared.auth import ORGANIZATION_SCOPE_KEY
from mcp_shared.errors import ProviderUnavailableError
from mcp_shared.server.http_app import sse_headers
from mcp_shared.server.sse import sse_frame
from mcp_shared.validation import describe_validation_error

KEEPALIVE = 15.0
MAX_STREAMS = 1000
"""Event streams one process serves at once."""
FINAL = (DebateState.COMPLETED, DebateState.CANCELLED)


class _FollowQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    debate_id: DebateId
    after_seq: int = Field(default=0, ge=0, le=MAX_POSITION)


class DebateStreams:
    """The two event-stream routes over one orchestrator's hub."""

    def __init__(self, orc: Orchestrator, overview: Overview) -> None:
        self.orc = orc
        self.overview = overview
        self.open = 0

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/debates/events", self.list_stream, methods=["GET"]),
            Route("/debates/{id}/events", self.debate_stream, methods=["GET"]),
        ]

    async def debate_stream(self, request: Request) -> Response:
        query = _follow_query(request)
        await self.orc.check_access(query.debate_id, _caller(request))
        self._admit()
        return _stream(self._follow(query.debate_id, query.after_seq), self)

    async def list_stream(self, request: Request) -> Response:
        self._admit()
        return _stream(self._follow_list(_caller(request)), self)

    def _admit(self) -> None:
        if self.open >= MAX_STREAMS:
            raise ProviderUnavailableError(
                f"this service already serves {MAX_STREAMS} event streams; try again later", retry_after=5
            )

    async def _follow(self, debate_id: str, after_seq: int) -> AsyncGenerator[bytes, None]:
        q = self.orc.queries
        with self.orc.hub.watch(debate_id) as watch:
            last_seq = after_seq
            while True:
                watch.lagging = False
                page = await q.messages(debate_id, last_seq)
                view = await q.debate(debate_id)
                for message in page.messages:
                    last_seq = message.seq
                    yield _frame("message", message.model_dump(mode="json"), event_id=message.seq)
                yield _frame("debate", _debate_data(view))
                if view.state in FINAL:
                    yield _frame("end", {"state": view.state.value})
                    return
                async for frame in _until_change(watch):
                    yield frame

    async def _follow_list(self, organization: str) -> AsyncGenerator[bytes, None]:
        with self.orc.hub.watch(None) as watch:
            yield b": following the debate list\n\n"
            while True:
                changed: set[str] = set()
                async for frame in _until_change(watch, changed):
                    yield frame
                for debate_id in sorted(changed):
                    row = await self.overview.row(debate_id, organization)
                    if row is not None:
                        yield _frame("debate", row.model_dump(mode="json"))


async def _until_change(watch: Watch, changed: set[str] | None = None) -> AsyncIterator[bytes]:
    """Frames for chunks and keep-alives until a change arrives; then every change already queued is
    taken too (one read answers them all), their debate ids added to ``changed``."""
    while True:
        try:
            event = await asyncio.wait_for(watch.queue.get(), KEEPALIVE)
        except TimeoutError:
            yield b": keep-alive\n\n"
            continue
        if event.chunk is not None:
            c = event.chunk
            data = {"turn": c.turn, "round": c.round, "speaker": c.speaker, "text": c.text}
            yield _frame("chunk", data)
            continue
        if event.change is not None and changed is not None:
            changed.add(event.change.debate_id)
        while not watch.queue.empty():
            more = watch.queue.get_nowait()
            if more.change is not None and changed is not None:
                changed.add(more.change.debate_id)
        return


def _stream(frames: AsyncGenerator[bytes, None], streams: DebateStreams) -> StreamingResponse:
    async def counted() -> AsyncIterator[bytes]:
        streams.open += 1
        try:
            async for frame in frames:
                yield frame
        finally:
            streams.open -= 1
            with contextlib.suppress(Exception):
                await frames.aclose()

    headers = {k: v for k, v in sse_headers("").items() if k != "X-Request-Id"}
    return StreamingResponse(counted(), media_type="text/event-stream", headers=headers)


def _frame(event: str, data: Any, event_id: int | None = None) -> bytes:
    frame = sse_frame(event, data)
    return frame if event_id is None else f"id: {event_id}\n".encode() + frame


def _debate_data(view: DebateView) -> dict[str, Any]:
    return view.model_dump(mode="json")


def _follow_query(request: Request) -> _FollowQuery:
    values: dict[str, Any] = {"debate_id": request.path_params["id"]}
    if "after_seq" in request.query_params:
        values["after_seq"] = request.query_params["after_seq"]
    resumed = request.headers.get("last-event-id")
    if resumed:  # a reconnecting EventSource: go on after the last message it got
        values["after_seq"] = resumed
    try:
        return _FollowQuery.model_validate(values)
    except ValidationError as exc:
        raise describe_validation_error(exc, subject="query parameters") from None


def _caller(request: Request) -> str:
    return caller_organization(request.scope.get(ORGANIZATION_SCOPE_KEY))

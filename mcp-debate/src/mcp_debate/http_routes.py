"""Read-only plain HTTP mirrors of the resources under /debates, plus ``/debates/{id}/export?format=``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mcp_debate.access import caller_organization
from mcp_debate.domain.models import MAX_POSITION, DebateId
from mcp_debate.exports import render
from mcp_debate.orchestrator import Orchestrator
from mcp_debate.tools import DebateRef, ExportArgs, ListDebatesArgs
from mcp_shared.auth import ORGANIZATION_SCOPE_KEY
from mcp_shared.validation import describe_validation_error


class _MessagesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    debate_id: DebateId
    after_seq: int = Field(default=0, ge=0, le=MAX_POSITION)
    limit: int | None = Field(default=None, ge=1, le=10_000)


def _json(model: BaseModel) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


def _query(request: Request, model: type[BaseModel], **path: str) -> Any:
    """Query parameters (and path parameters) validated like a tool's arguments."""
    try:
        return model.model_validate({**request.query_params, **path})
    except ValidationError as exc:
        raise describe_validation_error(exc, subject="query parameters") from None


def mirror_routes(orc: Orchestrator) -> list[BaseRoute]:
    """GET /debates, /debates/{id}, .../messages, .../participants, .../context, .../export?format=."""
    q = orc.queries

    async def guarded(request: Request, view: Any) -> Response:
        """Run the view once the caller is known to own the debate the path names (if it names one).

        Errors are raised, not caught: the app's one ServiceError handler renders them.
        """
        if "id" in request.path_params:
            await orc.check_access(_debate_id(request), _caller(request))
        response: Response = await view(request)
        return response

    async def debate_list(request: Request) -> Response:
        async def view(r: Request) -> Response:
            args = _query(r, ListDebatesArgs)
            return _json(await q.debates(_caller(r), args.state, args.limit, args.offset))

        return await guarded(request, view)

    async def debate(request: Request) -> Response:
        return await guarded(request, lambda r: _as_json(q.debate(_debate_id(r))))

    async def messages(request: Request) -> Response:
        async def view(r: Request) -> Response:
            args = _query(r, _MessagesQuery, debate_id=r.path_params["id"])
            return _json(await q.messages(args.debate_id, args.after_seq, args.limit))

        return await guarded(request, view)

    async def participants(request: Request) -> Response:
        return await guarded(request, lambda r: _as_json(q.participants(_debate_id(r))))

    async def context(request: Request) -> Response:
        return await guarded(request, lambda r: _as_json(q.context(_debate_id(r))))

    async def export(request: Request) -> Response:
        async def view(r: Request) -> Response:
            args = _query(r, ExportArgs, debate_id=r.path_params["id"])
            doc = await q.export_document(args.debate_id)
            content, media_type, extension = render(doc, args.format)
            disposition = f'inline; filename="{args.debate_id}.{extension}"'
            return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})

        return await guarded(request, view)

    return [
        Route("/debates", debate_list, methods=["GET"]),
        Route("/debates/{id}", debate, methods=["GET"]),
        Route("/debates/{id}/messages", messages, methods=["GET"]),
        Route("/debates/{id}/participants", participants, methods=["GET"]),
        Route("/debates/{id}/context", context, methods=["GET"]),
        Route("/debates/{id}/export", export, methods=["GET"]),
    ]


def _caller(request: Request) -> str:
    return caller_organization(request.scope.get(ORGANIZATION_SCOPE_KEY))


def _debate_id(request: Request) -> str:
    """The path's debate id, checked like a tool's ``debate_id``; query parameters are not taken."""
    try:
        return DebateRef.model_validate({"debate_id": request.path_params["id"]}).debate_id
    except ValidationError as exc:
        raise describe_validation_error(exc, subject="path") from None


async def _as_json(pending: Any) -> Response:
    return _json(await pending)

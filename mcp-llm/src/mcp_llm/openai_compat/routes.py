"""``POST /v1/chat/completions``, ``GET /v1/models`` and ``GET /v1/models/{id}`` on top of the gateway
(and ``POST /v1/batch/chat/completions``, ``batch.py``).

A model the gateway cannot place is ``404 model_not_found``, as OpenAI answers it (the OpenAI API has
no ``provider`` field to ask for), so the SDKs raise their ``NotFoundError``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mcp_llm.experiments.registry import is_experiment_model
from mcp_llm.gateway.pipeline import Gateway
from mcp_llm.openai_compat.batch import PATH as BATCH_PATH
from mcp_llm.openai_compat.batch import batch_handler
from mcp_llm.openai_compat.placement import place
from mcp_llm.openai_compat.responses import (
    chunk_frame,
    completion_body,
    error_body,
    finish_reason,
    public_model,
)
from mcp_llm.openai_compat.schemas import ChatCompletionsRequest
from mcp_llm.routing.model_listing import ModelLister
from mcp_shared.auth import ORGANIZATION_SCOPE_KEY
from mcp_shared.errors import ModelNotFoundError, ServiceError
from mcp_shared.identifiers import IdempotencyKey, ModelName
from mcp_shared.logging import request_id_var
from mcp_shared.models import CompletionRequest, CompletionResponse
from mcp_shared.server.disconnect import ClientDisconnected, client_gone, unless_disconnected
from mcp_shared.server.http_app import read_body, sse_headers
from mcp_shared.server.streaming import StreamRelay, WatchedStreamingResponse
from mcp_shared.server.tools import CallContext, EventSink
from mcp_shared.settings import ServiceSettings
from mcp_shared.validation import describe_validation_error

logger = logging.getLogger(__name__)


def _error(exc: ServiceError, request_id: str | None = None) -> JSONResponse:
    status, body = error_body(exc)
    headers = {"x-request-id": request_id} if request_id else {}
    if exc.retry_after is not None:
        headers["retry-after"] = str(max(1, round(exc.retry_after)))
    return JSONResponse(body, status_code=status, headers=headers)


class _ModelPath(BaseModel):
    model: ModelName


class _KeyHeader(BaseModel):
    idempotency_key: IdempotencyKey | None


def _idempotency_key(request: Request) -> str | None:
    """The ``Idempotency-Key`` header, checked like the argument (an error names ``idempotency_key``)."""
    header = request.headers.get("idempotency-key")
    if header is None:
        return None
    try:
        return _KeyHeader(idempotency_key=header).idempotency_key
    except ValidationError as exc:
        raise describe_validation_error(exc, subject="Idempotency-Key header") from None


REPLAYED_HEADER = "idempotent-replayed"
"""``true`` on an answer kept from an earlier call with the same key (as Stripe names it)."""


def _model_object(provider: str, model: str) -> dict[str, object]:
    return {"id": public_model(provider, model), "object": "model", "created": 0, "owned_by": provider}


def openai_routes(gateway: Gateway, lister: ModelLister, settings: ServiceSettings) -> list[BaseRoute]:
    async def chat_completions(request: Request) -> Response:
        call = CallContext(transport="http", organization_id=request.scope.get(ORGANIZATION_SCOPE_KEY))
        token = request_id_var.set(call.request_id)
        try:
            try:
                body = ChatCompletionsRequest.model_validate_json(
                    await read_body(request, settings.max_body_bytes) or b"{}"
                )
            except ValidationError as exc:
                raise describe_validation_error(exc, subject="chat completion request") from None
            if not is_experiment_model(body.model):  # the experiment stage places its variant
                place(gateway, body.model)
            key = _idempotency_key(request)
            completion = body.to_completion_request(call.organization_id)
            if key is not None:
                completion = completion.model_copy(update={"idempotency_key": key})
            if body.stream:
                include_usage = body.stream_options is not None and body.stream_options.include_usage
                return await _stream(request, gateway, completion, call, include_usage)
            # A client that leaves cancels its call, releasing its queue slot and quota reservation.
            answer = await unless_disconnected(request.receive, gateway.complete(completion, call))
            headers = {"x-request-id": call.request_id}
            if answer.replayed:
                headers[REPLAYED_HEADER] = "true"
            return JSONResponse(completion_body(answer), headers=headers)
        except ServiceError as exc:
            return _error(exc, call.request_id)
        except ClientDisconnected:
            return client_gone()
        finally:
            request_id_var.reset(token)

    async def models(request: Request) -> Response:
        listing = await lister.listing()
        data = [_model_object(m.provider, m.id) for m in listing.models if m.configured]
        return JSONResponse({"object": "list", "data": data})

    async def model(request: Request) -> Response:
        """``client.models.retrieve(id)``: a model ``GET /v1/models`` lists, by that name or a bare one."""
        try:
            try:
                name = _ModelPath.model_validate({"model": request.path_params["model"]}).model
            except ValidationError as exc:
                raise describe_validation_error(exc, subject="model id") from None
            target = place(gateway, name)
            listing = await lister.listing(target.provider)
            if not any(m.configured and m.id == target.model for m in listing.models):
                raise ModelNotFoundError(
                    f"model '{name}' is not listed by a configured provider (GET /v1/models lists them)",
                    provider=target.provider,
                    model=target.model,
                    details={"field": "model"},
                )
        except ServiceError as exc:
            return _error(exc)
        return JSONResponse(_model_object(target.provider, target.model))

    return [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route(BATCH_PATH, batch_handler(gateway, settings), methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/v1/models/{model:path}", model, methods=["GET"]),
    ]


async def _stream(
    request: Request, gateway: Gateway, completion: CompletionRequest, call: CallContext, include_usage: bool
) -> Response:
    """OpenAI-style SSE: a role frame, content deltas, the finish frame, optionally usage, then [DONE]."""

    async def produce(emit: EventSink) -> CompletionResponse:
        call.emit = emit
        call.streaming = True
        return await gateway.stream(completion, call)

    relay = StreamRelay(produce)
    first = await relay.first_while_connected(request.receive)
    if first is None:
        return client_gone()
    if first.error is not None:
        return _error(first.error, call.request_id)
    model = completion.model or ""

    async def frames() -> AsyncIterator[bytes]:
        yield chunk_frame(call.request_id, model, {"role": "assistant", "content": ""})
        async for item in relay.items():
            if item.event is not None:
                yield chunk_frame(call.request_id, model, {"content": item.event.text})
            elif item.result is not None:
                result = item.result
                answered = public_model(result.provider, result.model)
                yield chunk_frame(call.request_id, answered, {}, finish=finish_reason(result))
                if include_usage:
                    yield chunk_frame(call.request_id, answered, {}, usage=result.usage)
                yield b"data: [DONE]\n\n"
            elif item.error is not None:
                yield b"data: " + json.dumps(error_body(item.error)[1]).encode() + b"\n\n"

    return WatchedStreamingResponse(frames(), "text/event-stream", sse_headers(call.request_id))

"""``POST /v1/batch/chat/completions``: ``batch_complete`` for OpenAI-speaking clients.

The body is a list of request lines shaped like the lines of an OpenAI Batch input file
(``{custom_id, method, url, body}``, ``body`` a chat-completions request) and the answer lists result
lines shaped like the lines of its output file (``{id, custom_id, response: {status_code, request_id,
body}, error}``), in input order and at once: this is the gateway's fan-out, not a vendor batch job.
Each line is a full ``/v1/chat/completions`` call through the whole chain; a line that fails is that
line's OpenAI error body and status, never the whole batch's. A malformed batch is one 400 naming the
field (``requests[2].body.messages``).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mcp_llm.batching import (
    DEFAULT_CONCURRENCY,
    MAX_CONCURRENCY,
    MAX_ITEMS,
    ItemId,
    Outcome,
    fan_out,
    require_unique,
)
from mcp_llm.experiments.registry import is_experiment_model
from mcp_llm.gateway.pipeline import Gateway
from mcp_llm.openai_compat.placement import place
from mcp_llm.openai_compat.responses import completion_body, error_body
from mcp_llm.openai_compat.schemas import ChatCompletionsRequest
from mcp_shared.auth import ORGANIZATION_SCOPE_KEY
from mcp_shared.errors import ServiceError
from mcp_shared.logging import request_id_var
from mcp_shared.models import CompletionRequest
from mcp_shared.server.disconnect import ClientDisconnected, client_gone, unless_disconnected
from mcp_shared.server.http_app import read_body
from mcp_shared.server.tools import CallContext
from mcp_shared.settings import ServiceSettings
from mcp_shared.validation import describe_validation_error

logger = logging.getLogger(__name__)

PATH = "/v1/batch/chat/completions"


class BatchLine(BaseModel):
    """One request: an OpenAI Batch input line (``method`` and ``url`` may be left out)."""

    model_config = ConfigDict(extra="forbid")

    custom_id: ItemId
    method: Literal["POST"] = "POST"
    url: Literal["/v1/chat/completions"] = "/v1/chat/completions"
    body: ChatCompletionsRequest

    @field_validator("body")
    @classmethod
    def _not_streamed(cls, body: ChatCompletionsRequest) -> ChatCompletionsRequest:
        if body.stream:
            raise ValueError("stream is not supported in a batch (each answer comes back whole)")
        return body


class ChatBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requests: list[BatchLine] = Field(min_length=1, max_length=MAX_ITEMS)
    concurrency: int = Field(default=DEFAULT_CONCURRENCY, ge=1, le=MAX_CONCURRENCY)

    @field_validator("requests")
    @classmethod
    def _unique_ids(cls, lines: list[BatchLine]) -> list[BatchLine]:
        require_unique("custom_id", [line.custom_id for line in lines])
        return lines


def _request(gateway: Gateway, line: BatchLine, organization: str | None) -> CompletionRequest | ServiceError:
    """The line's gateway request, or the error it gets without running (a model nobody serves)."""
    try:
        if not is_experiment_model(line.body.model):
            place(gateway, line.body.model)
        return line.body.to_completion_request(organization)
    except ServiceError as exc:
        return exc


def _result_line(line: BatchLine, outcome: Outcome, request_id: str) -> dict[str, Any]:
    if isinstance(outcome, ServiceError):
        status, body = error_body(outcome)
    else:
        status, body, request_id = 200, completion_body(outcome), outcome.request_id
    return {
        "id": f"batch_req_{request_id}",
        "custom_id": line.custom_id,
        "response": {"status_code": status, "request_id": request_id, "body": body},
        "error": None,
    }


def batch_handler(gateway: Gateway, settings: ServiceSettings) -> Any:
    async def chat_batch(request: Request) -> Response:
        call = CallContext(transport="http", organization_id=request.scope.get(ORGANIZATION_SCOPE_KEY))
        token = request_id_var.set(call.request_id)
        try:
            try:
                batch = ChatBatch.model_validate_json(
                    await read_body(request, settings.max_body_bytes) or b"{}"
                )
            except ValidationError as exc:
                raise describe_validation_error(exc, subject="chat completions batch") from None
            requests = [_request(gateway, line, call.organization_id) for line in batch.requests]
            outcomes = await unless_disconnected(
                request.receive, fan_out(gateway, requests, batch.concurrency, call)
            )
        except ServiceError as exc:
            status, body = error_body(exc)
            return JSONResponse(body, status_code=status, headers={"x-request-id": call.request_id})
        except ClientDisconnected:
            return client_gone()
        finally:
            request_id_var.reset(token)
        data = [
            _result_line(line, outcome, f"{call.request_id}.{index}")
            for index, (line, outcome) in enumerate(zip(batch.requests, outcomes, strict=True))
        ]
        failed = sum(line["response"]["status_code"] != 200 for line in data)
        counts = {"total": len(data), "completed": len(data) - failed, "failed": failed}
        return JSONResponse(
            {"object": "list", "data": data, "request_counts": counts},
            headers={"x-request-id": call.request_id},
        )

    return chat_batch

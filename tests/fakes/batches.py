"""Fakes of the three vendors' batch APIs, each shaped like its documented wire format and stateful:
a job is created, answers "in progress" to a scripted number of polls, then ends as its ``Plan`` says.

- OpenAI Batch (``POST /v1/files`` multipart with ``purpose=batch``; ``POST /v1/batches``;
  ``GET /v1/batches/{id}``; ``POST /v1/batches/{id}/cancel``; ``GET /v1/files/{id}/content``): the
  ``Batch`` object with ``status`` validating → in_progress → finalizing → completed / expired / failed /
  cancelling → cancelled, ``request_counts``, ``output_file_id`` and ``error_file_id``; output lines
  ``{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}``, requests cut off by
  the window or a cancellation with ``error.code`` ``batch_expired`` / ``batch_cancelled``.
- Anthropic Message Batches (``POST /v1/messages/batches``, ``GET .../{id}``, ``POST .../{id}/cancel``,
  ``GET .../{id}/results``): ``message_batch`` objects with ``processing_status`` in_progress / canceling /
  ended, ``request_counts`` and ``results_url``; result lines ``{"custom_id", "result": {"type":
  "succeeded" | "errored" | "canceled" | "expired", ...}}``.
- Gemini batch mode (``POST /{v}/models/{model}:batchGenerateContent``, ``GET /{v}/batches/{id}``,
  ``POST /{v}/batches/{id}:cancel``): a long-running operation whose ``metadata`` is the
  ``GenerateContentBatch`` (``state`` BATCH_STATE_PENDING / RUNNING / SUCCEEDED / FAILED / CANCELLED /
  EXPIRED, ``output.inlinedResponses.inlinedResponses`` with a ``response`` or an ``error`` each).

Requests steer their own outcome by their text: one containing ``[error]`` is refused by the vendor;
one containing ``[slow]`` has not run yet when the job expires or is cancelled (every other one has).
Each answered request uses ``INPUT`` prompt tokens and ``OUTPUT`` output tokens, so prices are exact.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes import anthropic_api, gemini_api, openai_api

INPUT, OUTPUT = 1000, 500
GEMINI_CACHED = 400
"""Gemini answers report this much of the prompt as served from the context cache."""
ERROR, SLOW = "[error]", "[slow]"
_ids = itertools.count(1)


@dataclass
class Plan:
    """How the next batch created behaves."""

    polls: int = 1
    """Polls answered 'in progress' before the job ends (a large number: it never ends by itself)."""
    end: str = "completed"
    """completed, expired or failed."""


@dataclass
class FakeBatch:
    id: str
    requests: list[dict[str, Any]]
    """Per request: ``custom_id``, its ``text`` (all message text, for the markers) and ``model``."""
    plan: Plan
    created: float = field(default_factory=time.time)
    polls: int = 0
    cancelled: bool = False
    ended: str | None = None
    """completed, expired, failed or cancelled, once it ended."""

    def advance(self) -> None:
        """One poll passes: a cancelled job ends cancelled; an ordinary one ends after its polls."""
        self.polls += 1
        if self.ended is not None:
            return
        if self.cancelled:
            self.ended = "cancelled"
        elif self.polls > self.plan.polls:
            self.ended = self.plan.end

    def ran(self, request: dict[str, Any]) -> bool:
        """Whether a request was processed (a slow one is not, when the job was cut short)."""
        return not (self.ended in ("expired", "cancelled") and SLOW in request["text"])


class BatchFake:
    """What the three vendors' fakes share: plans for the next jobs, the jobs, the polls they got."""

    def __init__(self) -> None:
        self.plans: deque[Plan] = deque()
        self.jobs: dict[str, FakeBatch] = {}

    def reset(self) -> None:
        self.plans.clear()

    def create(self, prefix: str, requests: list[dict[str, Any]]) -> FakeBatch:
        plan = self.plans.popleft() if self.plans else Plan()
        job = FakeBatch(f"{prefix}{next(_ids):06d}{int(time.time() * 1000) % 10**8:08d}", requests, plan)
        self.jobs[job.id] = job
        return job


def _text(messages: Any) -> str:
    return " ".join(str(m.get("content", "")) for m in messages or [] if isinstance(m, dict))


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat().replace("+00:00", "Z")


# -- OpenAI -------------------------------------------------------------------------------------


class OpenAIBatchFake(BatchFake):
    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, tuple[str, bytes]] = {}
        """file id -> (purpose, content)."""
        self.batches_of_file: dict[str, str] = {}
        self.created_bodies: list[dict[str, Any]] = []

    def _file(self, purpose: str, content: bytes) -> dict[str, Any]:
        file_id = f"file-{next(_ids):06d}{int(time.time() * 1000) % 10**8:08d}"
        self.files[file_id] = (purpose, content)
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": f"{file_id}.jsonl",
            "purpose": purpose,
            "status": "processed",
            "expires_at": int(time.time()) + 30 * 86_400,
            "status_details": None,
        }

    def routes(self) -> list[Route]:
        async def upload(request: Request) -> Response:
            form = await request.form()
            purpose = str(form.get("purpose"))
            upload_file = form.get("file")
            content = await upload_file.read() if hasattr(upload_file, "read") else b""
            if purpose != "batch":
                return JSONResponse(
                    openai_api.error_body("purpose must be batch", "invalid_request_error", None, "purpose"),
                    status_code=400,
                )
            return JSONResponse(self._file(purpose, content))

        async def create(request: Request) -> Response:
            body = await request.json()
            self.created_bodies.append(body)
            stored = self.files.get(body.get("input_file_id", ""))
            if stored is None or body.get("endpoint") != "/v1/chat/completions":
                return JSONResponse(
                    openai_api.error_body("invalid input_file_id", "invalid_request_error", None), 400
                )
            if body.get("completion_window") != "24h":
                return JSONResponse(
                    openai_api.error_body(
                        "completion_window must be 24h", "invalid_request_error", None, "completion_window"
                    ),
                    400,
                )
            lines = [json.loads(line) for line in stored[1].decode().splitlines() if line.strip()]
            requests = [
                {
                    "custom_id": line["custom_id"],
                    "text": _text(line["body"].get("messages")),
                    "model": line["body"].get("model"),
                }
                for line in lines
            ]
            job = self.create("batch_", requests)
            job.metadata = body.get("metadata")  # type: ignore[attr-defined]
            job.input_file_id = body["input_file_id"]  # type: ignore[attr-defined]
            return JSONResponse(self.batch(job))

        async def retrieve(request: Request) -> Response:
            job = self.jobs.get(request.path_params["batch_id"])
            if job is None:
                return JSONResponse(
                    openai_api.error_body("No batch found", "invalid_request_error", None), 404
                )
            job.advance()
            return JSONResponse(self.batch(job))

        async def cancel(request: Request) -> Response:
            job = self.jobs.get(request.path_params["batch_id"])
            if job is None:
                return JSONResponse(
                    openai_api.error_body("No batch found", "invalid_request_error", None), 404
                )
            job.cancelled = True
            return JSONResponse(self.batch(job, cancelling=True))

        async def content(request: Request) -> Response:
            stored = self.files.get(request.path_params["file_id"])
            if stored is None:
                return JSONResponse(openai_api.error_body("No such File", "invalid_request_error", None), 404)
            return Response(stored[1], media_type="application/octet-stream")

        return [
            Route("/v1/files", upload, methods=["POST"]),
            Route("/v1/files/{file_id}/content", content, methods=["GET"]),
            Route("/v1/batches", create, methods=["POST"]),
            Route("/v1/batches/{batch_id}", retrieve, methods=["GET"]),
            Route("/v1/batches/{batch_id}/cancel", cancel, methods=["POST"]),
        ]

    def batch(self, job: FakeBatch, cancelling: bool = False) -> dict[str, Any]:
        """The ``Batch`` object as it stands."""
        created = int(job.created)
        status = {0: "validating", 1: "in_progress"}.get(job.polls, "finalizing")
        body: dict[str, Any] = {
            "id": job.id,
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "model": job.requests[0]["model"] if job.requests else None,
            "errors": None,
            "input_file_id": getattr(job, "input_file_id", ""),
            "completion_window": "24h",
            "status": status,
            "output_file_id": None,
            "error_file_id": None,
            "created_at": created,
            "in_progress_at": created if job.polls else None,
            "expires_at": created + 86_400,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {"total": len(job.requests), "completed": 0, "failed": 0},
            "usage": None,
            "metadata": getattr(job, "metadata", None),
        }
        if cancelling and job.ended is None:
            body.update(status="cancelling", cancelling_at=int(time.time()))
            return body
        if job.ended is None:
            return body
        now = int(time.time())
        if job.ended == "failed":
            body.update(
                status="failed",
                failed_at=now,
                request_counts={"total": 0, "completed": 0, "failed": 0},
                errors={
                    "object": "list",
                    "data": [
                        {
                            "code": "token_limit_exceeded",
                            "message": "Enqueued token limit reached for gpt-5-mini in organization org-abc. "
                            "Limit: 90,000 enqueued tokens. Please try submitting your batch again later.",
                            "param": None,
                            "line": None,
                        }
                    ],
                },
            )
            return body
        if "output" not in job.__dict__:
            output, failures = self._results(job)
            job.output = self._file("batch_output", output) if output else None  # type: ignore[attr-defined]
            job.failures = self._file("batch_output", failures) if failures else None  # type: ignore[attr-defined]
        done = sum(1 for r in job.requests if job.ran(r) and ERROR not in r["text"])
        body.update(
            status=job.ended,
            output_file_id=job.output["id"] if job.output else None,  # type: ignore[attr-defined]
            error_file_id=job.failures["id"] if job.failures else None,  # type: ignore[attr-defined]
            request_counts={
                "total": len(job.requests),
                "completed": done,
                "failed": len(job.requests) - done,
            },
            finalizing_at=now,
            usage={
                "input_tokens": INPUT * done,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": OUTPUT * done,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": (INPUT + OUTPUT) * done,
            },
            **{f"{job.ended}_at": now},
        )
        return body

    def _results(self, job: FakeBatch) -> tuple[bytes, bytes]:
        output: list[str] = []
        failures: list[str] = []
        for n, request in enumerate(job.requests):
            line: dict[str, Any] = {
                "id": f"batch_req_{job.id[-8:]}{n:04d}",
                "custom_id": request["custom_id"],
            }
            if not job.ran(request):
                code, message = (
                    (
                        "batch_expired",
                        "This request could not be executed before the completion window expired.",
                    )
                    if job.ended == "expired"
                    else ("batch_cancelled", "This request was not executed because the batch was cancelled.")
                )
                line.update(response=None, error={"code": code, "message": message})
                failures.append(json.dumps(line))
            elif ERROR in request["text"]:
                body = openai_api.error_body(
                    "This model's maximum context length is 128000 tokens. However, your messages resulted "
                    "in 130412 tokens. Please reduce the length of the messages.",
                    "invalid_request_error",
                    "context_length_exceeded",
                    "messages",
                )
                line.update(
                    response={"status_code": 400, "request_id": f"req_{n:08d}", "body": body}, error=None
                )
                failures.append(json.dumps(line))
            else:
                body = openai_api.completion_body(
                    f"Batch answer to {request['custom_id']}",
                    model=request["model"] or "gpt-5-mini",
                    prompt_tokens=INPUT,
                    completion_tokens=OUTPUT,
                )
                line.update(
                    response={"status_code": 200, "request_id": f"req_{n:08d}", "body": body}, error=None
                )
                output.append(json.dumps(line))
        encode = lambda lines: ("\n".join(lines) + "\n").encode() if lines else b""  # noqa: E731
        return encode(output), encode(failures)


# -- Anthropic ----------------------------------------------------------------------------------


class AnthropicBatchFake(BatchFake):
    def __init__(self) -> None:
        super().__init__()
        self.created_bodies: list[dict[str, Any]] = []

    def routes(self) -> list[Route]:
        async def create(request: Request) -> Response:
            body = await request.json()
            self.created_bodies.append(body)
            requests = [
                {
                    "custom_id": r["custom_id"],
                    "text": _text(r["params"].get("messages")) + " " + str(r["params"].get("system", "")),
                    "model": r["params"].get("model"),
                }
                for r in body.get("requests", [])
            ]
            job = self.create("msgbatch_", requests)
            return JSONResponse(self.batch(job, str(request.base_url)))

        async def retrieve(request: Request) -> Response:
            job = self.jobs.get(request.path_params["batch_id"])
            if job is None:
                return JSONResponse(anthropic_api.error_body("not_found_error", "batch not found"), 404)
            job.advance()
            return JSONResponse(self.batch(job, str(request.base_url)))

        async def cancel(request: Request) -> Response:
            job = self.jobs.get(request.path_params["batch_id"])
            if job is None:
                return JSONResponse(anthropic_api.error_body("not_found_error", "batch not found"), 404)
            job.cancelled = True
            job.cancel_at = time.time()  # type: ignore[attr-defined]
            return JSONResponse(self.batch(job, str(request.base_url)))

        async def results(request: Request) -> Response:
            job = self.jobs.get(request.path_params["batch_id"])
            if job is None or job.ended is None:
                return JSONResponse(anthropic_api.error_body("not_found_error", "results not ready"), 404)
            lines = [
                json.dumps({"custom_id": r["custom_id"], "result": self._result(job, r)})
                for r in job.requests
            ]
            return Response(("\n".join(lines) + "\n").encode(), media_type="application/binary")

        return [
            Route("/v1/messages/batches", create, methods=["POST"]),
            Route("/v1/messages/batches/{batch_id}", retrieve, methods=["GET"]),
            Route("/v1/messages/batches/{batch_id}/cancel", cancel, methods=["POST"]),
            Route("/v1/messages/batches/{batch_id}/results", results, methods=["GET"]),
        ]

    def _result(self, job: FakeBatch, request: dict[str, Any]) -> dict[str, Any]:
        if not job.ran(request):
            return {"type": "expired" if job.ended == "expired" else "canceled"}
        if ERROR in request["text"]:
            return {
                "type": "errored",
                "error": anthropic_api.error_body(
                    "invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum"
                ),
            }
        message = anthropic_api.message_body(
            f"Batch answer to {request['custom_id']}",
            model=request["model"] or "claude-sonnet-4-6",
            input_tokens=INPUT,
            output_tokens=OUTPUT,
        )
        message["usage"]["service_tier"] = "batch"
        return {"type": "succeeded", "message": message}

    def batch(self, job: FakeBatch, base_url: str) -> dict[str, Any]:
        counts = {"processing": len(job.requests), "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        ended = job.ended is not None
        if ended:
            counts["processing"] = 0
            for r in job.requests:
                counts[self._result(job, r)["type"]] += 1
        cancel_at = getattr(job, "cancel_at", None)
        status = "ended" if ended else ("canceling" if job.cancelled else "in_progress")
        return {
            "id": job.id,
            "type": "message_batch",
            "processing_status": status,
            "request_counts": counts,
            "ended_at": _stamp(time.time()) if ended else None,
            "created_at": _stamp(job.created),
            "expires_at": _stamp(job.created + 86_400),
            "archived_at": None,
            "cancel_initiated_at": _stamp(cancel_at) if cancel_at else None,
            "results_url": f"{base_url.rstrip('/')}/v1/messages/batches/{job.id}/results" if ended else None,
        }


# -- Gemini -------------------------------------------------------------------------------------

_GEMINI_STATES = {
    None: "BATCH_STATE_RUNNING",
    "completed": "BATCH_STATE_SUCCEEDED",
    "expired": "BATCH_STATE_EXPIRED",
    "failed": "BATCH_STATE_FAILED",
    "cancelled": "BATCH_STATE_CANCELLED",
}


class GeminiBatchFake(BatchFake):
    def __init__(self) -> None:
        super().__init__()
        self.created_bodies: list[dict[str, Any]] = []

    def create_batch(self, model: str, body: dict[str, Any], version: str) -> Response:
        self.created_bodies.append(body)
        batch = body.get("batch") or {}
        inlined = ((batch.get("inputConfig") or {}).get("requests") or {}).get("requests") or []
        requests = [
            {
                "custom_id": (r.get("metadata") or {}).get("key", str(n)),
                "text": " ".join(
                    p.get("text", "")
                    for c in (r.get("request") or {}).get("contents", [])
                    for p in c.get("parts", [])
                ),
                "model": model,
            }
            for n, r in enumerate(inlined)
        ]
        if not requests:
            return JSONResponse(
                gemini_api.google_error(400, "INVALID_ARGUMENT", "batch.input_config is required"), 400
            )
        job = self.create("", requests)
        job.display_name = batch.get("displayName")  # type: ignore[attr-defined]
        return JSONResponse(self.operation(job, version, pending=True))

    def routes(self, version: str) -> list[Route]:
        async def batch_action(request: Request) -> Response:
            target = request.path_params["target"]
            job_id, _, action = target.partition(":")
            job = self.jobs.get(job_id)
            if job is None:
                return JSONResponse(
                    gemini_api.google_error(404, "NOT_FOUND", f"batches/{job_id} not found"), 404
                )
            if action == "cancel" and request.method == "POST":
                job.cancelled = True
                return JSONResponse({})
            job.advance()
            return JSONResponse(self.operation(job, version))

        return [Route(f"/{version}/batches/{{target}}", batch_action, methods=["GET", "POST"])]

    def operation(self, job: FakeBatch, version: str, pending: bool = False) -> dict[str, Any]:
        state = "BATCH_STATE_PENDING" if pending else _GEMINI_STATES[job.ended]
        metadata: dict[str, Any] = {
            "@type": f"type.googleapis.com/google.ai.generativelanguage.{version}.GenerateContentBatch",
            "model": f"models/{job.requests[0]['model']}",
            "displayName": getattr(job, "display_name", None),
            "createTime": _stamp(job.created),
            "updateTime": _stamp(time.time()),
            "batchStats": {
                "requestCount": str(len(job.requests)),
                "pendingRequestCount": str(len(job.requests)),
            },
            "state": state,
            "name": f"batches/{job.id}",
        }
        operation: dict[str, Any] = {"name": f"batches/{job.id}", "metadata": metadata}
        if job.ended is None or pending:
            return operation
        operation["done"] = True
        if job.ended == "failed":
            operation["error"] = {"code": 3, "message": "Batch failed: the input could not be read."}
            return operation
        if job.ended == "expired":
            return operation  # an expired job has no results
        responses = [self._response(job, r) for r in job.requests if job.ran(r)]
        metadata["output"] = {"inlinedResponses": {"inlinedResponses": responses}}
        done = len(responses)
        metadata["batchStats"] = {
            "requestCount": str(len(job.requests)),
            "successfulRequestCount": str(sum("response" in r for r in responses)),
            "failedRequestCount": str(sum("error" in r for r in responses)),
            "pendingRequestCount": str(len(job.requests) - done),
        }
        operation["response"] = {
            "@type": f"type.googleapis.com/google.ai.generativelanguage.{version}.GenerateContentBatchOutput",
            "inlinedResponses": {"inlinedResponses": responses},
        }
        return operation

    def _response(self, job: FakeBatch, request: dict[str, Any]) -> dict[str, Any]:
        metadata = {"key": request["custom_id"]}
        if ERROR in request["text"]:
            return {
                "error": {"code": 3, "message": "Request contains an invalid argument."},
                "metadata": metadata,
            }
        body = gemini_api.response_body(
            f"Batch answer to {request['custom_id']}",
            model=request["model"],
            prompt=INPUT,
            candidates=OUTPUT,
            cached=GEMINI_CACHED,
        )
        return {"response": body, "metadata": metadata}


OPENAI_BATCHES = OpenAIBatchFake()
ANTHROPIC_BATCHES = AnthropicBatchFake()
GEMINI_BATCHES = GeminiBatchFake()
"""The session's batch fakes, mounted on the vendor fakes (tests tell their jobs apart by id)."""


def reset_all() -> None:
    for fake in (OPENAI_BATCHES, ANTHROPIC_BATCHES, GEMINI_BATCHES):
        fake.reset()

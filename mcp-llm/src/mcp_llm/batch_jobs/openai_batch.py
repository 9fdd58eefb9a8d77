"""OpenAI's Batch API through the official SDK: a JSONL file uploaded with ``purpose=batch``, a batch on
``/v1/chat/completions`` with a 24 h window, polled with ``batches.retrieve``; when it ends, the output
and error files are downloaded and matched to the requests by ``custom_id``.

Output lines are ``{"custom_id", "response": {"status_code", "body"}, "error"}``: a 200 body is a chat
completion, any other status carries the vendor's ``{"error": ...}`` body; requests the window or a
cancellation cut off appear in the error file with ``error.code`` ``batch_expired`` or ``batch_cancelled``.
"""

from __future__ import annotations

import io
import json
from typing import Any, Literal

import openai

from mcp_llm.batch_jobs import errors
from mcp_llm.batch_jobs.backend import provider_request
from mcp_llm.batch_jobs.model import BatchJob, JobCounts, JobState, Outcome, VendorView
from mcp_llm.providers.base import ProviderConfig
from mcp_llm.providers.openai_errors import VENDOR_ERRORS, map_openai_error
from mcp_llm.providers.openai_wire import OpenAIChatProvider, normalise_finish_reason, usage_from_openai
from mcp_shared.errors import ErrorType
from mcp_shared.models import Usage

_STATES: dict[str, JobState] = {
    "validating": "in_progress",
    "in_progress": "in_progress",
    "finalizing": "in_progress",
    "cancelling": "cancelling",
    "completed": "completed",
    "failed": "failed",
    "expired": "expired",
    "cancelled": "cancelled",
}
ENDPOINT: Literal["/v1/chat/completions"] = "/v1/chat/completions"


class OpenAIBatches:
    def __init__(self, config: ProviderConfig) -> None:
        self.key = config.key
        self._wire = OpenAIChatProvider(config)  # the same request bodies ``complete`` sends
        self._client = openai.AsyncOpenAI(
            api_key=config.secret() or "not-needed",
            base_url=config.base_url,
            organization=config.profile.organization,
            timeout=config.timeout,
            max_retries=2,
        )

    async def submit(self, job: BatchJob) -> VendorView:
        lines = [
            json.dumps(
                {
                    "custom_id": item.id,
                    "method": "POST",
                    "url": ENDPOINT,
                    "body": self._wire.request_body(provider_request(job, item)),
                }
            )
            for item in job.items
        ]
        payload = ("\n".join(lines) + "\n").encode()
        try:
            upload = await self._client.files.create(
                file=(f"{job.id}.jsonl", io.BytesIO(payload), "application/jsonl"), purpose="batch"
            )
            batch = await self._client.batches.create(
                input_file_id=upload.id,
                endpoint=ENDPOINT,
                completion_window="24h",
                metadata={"gateway_job": job.id},
            )
        except VENDOR_ERRORS as exc:
            raise map_openai_error(exc, self.key, job.model) from exc
        return VendorView(state=_STATES[batch.status], vendor_status=batch.status, vendor_id=batch.id)

    async def poll(self, job: BatchJob) -> VendorView:
        assert job.vendor_id is not None
        try:
            batch = await self._client.batches.retrieve(job.vendor_id)
            state = _STATES.get(batch.status, "in_progress")
            view = VendorView(state=state, vendor_status=batch.status, vendor_id=batch.id)
            counts = batch.request_counts
            if counts is not None:
                view.counts = JobCounts(
                    total=counts.total,
                    succeeded=counts.completed,
                    failed=counts.failed,
                    pending=max(0, counts.total - counts.completed - counts.failed),
                )
            if state == "failed":
                first = batch.errors.data[0] if batch.errors and batch.errors.data else None
                message = (first.message if first else None) or "the batch failed validation"
                view.error = errors.job_failed(self.key, job.model, message, first.code if first else None)
                return view
            if state in ("completed", "expired", "cancelled"):
                view.outcomes = {}
                for file_id in (batch.output_file_id, batch.error_file_id):
                    if file_id:
                        content = await self._client.files.content(file_id)
                        view.outcomes.update(self._outcomes(job, content.text))
        except VENDOR_ERRORS as exc:
            raise map_openai_error(exc, self.key, job.model) from exc
        return view

    async def cancel(self, job: BatchJob) -> VendorView:
        assert job.vendor_id is not None
        try:
            batch = await self._client.batches.cancel(job.vendor_id)
        except VENDOR_ERRORS as exc:
            raise map_openai_error(exc, self.key, job.model) from exc
        return VendorView(
            state=_STATES.get(batch.status, "cancelling"), vendor_status=batch.status, vendor_id=batch.id
        )

    def _outcomes(self, job: BatchJob, text: str) -> dict[str, Outcome]:
        found: dict[str, Outcome] = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            found[str(record.get("custom_id"))] = self._outcome(job, record)
        return found

    def _outcome(self, job: BatchJob, record: dict[str, Any]) -> Outcome:
        response = record.get("response") or {}
        body = response.get("body") or {}
        status = response.get("status_code")
        if status == 200 and isinstance(body, dict) and body.get("choices"):
            choice = body["choices"][0]
            return Outcome(
                ok=True,
                content=(choice.get("message") or {}).get("content") or "",
                finish_reason=normalise_finish_reason(choice.get("finish_reason")),
                usage=usage_from_openai(body.get("usage")) or Usage(),
                model=body.get("model"),
            )
        error = record.get("error") or (body.get("error") if isinstance(body, dict) else None) or {}
        code = error.get("code")
        if code == "batch_expired":
            return Outcome(ok=False, error=errors.expired(self.key, job.model))
        if code == "batch_cancelled":
            return Outcome(ok=False, error=errors.cancelled(self.key, job.model))
        kind = from_openai(status, code)
        message = error.get("message") or f"the request failed with status {status}"
        return Outcome(ok=False, error=errors.item_error(kind, message, self.key, job.model, code=code))

    async def aclose(self) -> None:
        await self._client.close()


def from_openai(status: int | None, code: str | None) -> ErrorType:
    if code == "context_length_exceeded":
        return ErrorType.CONTEXT_LENGTH_EXCEEDED
    return errors.from_status(status)

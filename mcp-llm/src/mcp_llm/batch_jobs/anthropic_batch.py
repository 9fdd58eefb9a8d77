"""Anthropic's Message Batches through the official SDK: ``messages.batches.create`` with one
``{custom_id, params}`` per request, ``retrieve`` until ``processing_status`` is ``ended``, then
``results`` (the JSONL at ``results_url``), whose lines are ``succeeded`` (a message), ``errored`` (the
vendor's error), ``canceled`` or ``expired``; ``cancel`` moves the batch to ``canceling``."""

from __future__ import annotations

import anthropic

from mcp_llm.batch_jobs import errors
from mcp_llm.batch_jobs.backend import provider_request
from mcp_llm.batch_jobs.model import BatchJob, JobCounts, JobState, Outcome, VendorView
from mcp_llm.providers.anthropic_errors import VENDOR_ERRORS, map_anthropic_error
from mcp_llm.providers.anthropic_messages import (
    AnthropicProvider,
    normalise_finish_reason,
    usage_from_anthropic,
)
from mcp_llm.providers.base import ProviderConfig

_STATES: dict[str, JobState] = {"in_progress": "in_progress", "canceling": "cancelling"}


class AnthropicBatches:
    def __init__(self, config: ProviderConfig) -> None:
        self.key = config.key
        self._messages = AnthropicProvider(config)  # the same parameters ``complete`` sends
        self._client = anthropic.AsyncAnthropic(
            api_key=config.secret() or "not-needed",
            base_url=config.base_url,
            timeout=config.timeout,
            max_retries=2,
        )

    async def submit(self, job: BatchJob) -> VendorView:
        requests = [
            {"custom_id": item.id, "params": self._messages.request_params(provider_request(job, item))}
            for item in job.items
        ]
        try:
            batch = await self._client.messages.batches.create(requests=requests)  # type: ignore[arg-type]
        except VENDOR_ERRORS as exc:
            raise map_anthropic_error(exc, self.key, job.model) from exc
        return self._view(batch)

    async def poll(self, job: BatchJob) -> VendorView:
        assert job.vendor_id is not None
        try:
            batch = await self._client.messages.batches.retrieve(job.vendor_id)
            view = self._view(batch)
            if batch.processing_status == "ended":
                view.outcomes = {}
                async for line in await self._client.messages.batches.results(job.vendor_id):
                    view.outcomes[line.custom_id] = self._outcome(job, line.result)
        except VENDOR_ERRORS as exc:
            raise map_anthropic_error(exc, self.key, job.model) from exc
        return view

    async def cancel(self, job: BatchJob) -> VendorView:
        assert job.vendor_id is not None
        try:
            batch = await self._client.messages.batches.cancel(job.vendor_id)
        except VENDOR_ERRORS as exc:
            raise map_anthropic_error(exc, self.key, job.model) from exc
        return self._view(batch)

    def _view(self, batch: anthropic.types.messages.MessageBatch) -> VendorView:
        counts = batch.request_counts
        state: JobState
        if batch.processing_status != "ended":
            state = _STATES.get(batch.processing_status, "in_progress")
        elif batch.cancel_initiated_at is not None:
            state = "cancelled"
        elif counts.expired and not (counts.succeeded or counts.errored):
            state = "expired"
        else:
            state = "completed"
        total = counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired
        return VendorView(
            state=state,
            vendor_status=batch.processing_status,
            vendor_id=batch.id,
            counts=JobCounts(
                total=total,
                succeeded=counts.succeeded,
                failed=counts.errored + counts.canceled + counts.expired,
                pending=counts.processing,
            ),
        )

    def _outcome(self, job: BatchJob, result: object) -> Outcome:
        kind = getattr(result, "type", None)
        if kind == "succeeded":
            message = result.message  # type: ignore[attr-defined]
            text = "".join(block.text for block in message.content if block.type == "text")
            return Outcome(
                ok=True,
                content=text,
                finish_reason=normalise_finish_reason(message.stop_reason),
                usage=usage_from_anthropic(message.usage),
                model=message.model,
            )
        if kind == "canceled":
            return Outcome(ok=False, error=errors.cancelled(self.key, job.model))
        if kind == "expired":
            return Outcome(ok=False, error=errors.expired(self.key, job.model))
        body = getattr(getattr(result, "error", None), "error", None)
        error_type = getattr(body, "type", None)
        message = getattr(body, "message", None) or "the request failed"
        return Outcome(
            ok=False,
            error=errors.item_error(
                errors.from_anthropic(error_type), message, self.key, job.model, code=error_type
            ),
        )

    async def aclose(self) -> None:
        await self._client.close()

"""Gemini batch mode through the official ``google-genai`` SDK: ``batches.create`` with the requests
inlined (each tagged ``metadata.key`` with its item id), ``batches.get`` until the job leaves
``JOB_STATE_PENDING``/``JOB_STATE_RUNNING``, then the inlined responses (each a ``GenerateContentResponse``
or an ``error`` status); ``batches.cancel`` asks it to stop."""

from __future__ import annotations

import httpx2
from google import genai
from google.genai import types

from mcp_llm.batch_jobs import errors
from mcp_llm.batch_jobs.backend import provider_request
from mcp_llm.batch_jobs.model import BatchJob, JobCounts, JobState, Outcome, VendorView
from mcp_llm.providers.base import ProviderConfig
from mcp_llm.providers.gemini_errors import VENDOR_ERRORS, map_gemini_error
from mcp_llm.providers.gemini_genai import GeminiProvider, answer_of, usage_from_gemini
from mcp_shared.models import Usage

_STATES: dict[str, JobState] = {
    "JOB_STATE_SUCCEEDED": "completed",
    "JOB_STATE_PARTIALLY_SUCCEEDED": "completed",
    "JOB_STATE_FAILED": "failed",
    "JOB_STATE_CANCELLED": "cancelled",
    "JOB_STATE_EXPIRED": "expired",
    "JOB_STATE_CANCELLING": "cancelling",
}
"""Every other state (queued, pending, running, paused, updating) is still in progress."""
KEY = "key"


class GeminiBatches:
    def __init__(self, config: ProviderConfig) -> None:
        self.key = config.key
        self._content = GeminiProvider(config)  # the same contents and config ``complete`` sends
        self._http = httpx2.AsyncClient(timeout=config.timeout)
        self._client = genai.Client(
            vertexai=False,
            api_key=config.secret(),
            http_options=types.HttpOptions(
                base_url=config.base_url, timeout=int(config.timeout * 1000), httpx_async_client=self._http
            ),
        )

    async def submit(self, job: BatchJob) -> VendorView:
        inlined = []
        for item in job.items:
            parts = self._content.request_parts(provider_request(job, item))
            inlined.append(
                types.InlinedRequest(
                    contents=parts["contents"], config=parts["config"], metadata={KEY: item.id}
                )
            )
        try:
            batch = await self._client.aio.batches.create(
                model=job.model, src=inlined, config=types.CreateBatchJobConfig(display_name=job.id)
            )
        except VENDOR_ERRORS as exc:
            raise map_gemini_error(exc, self.key, job.model) from exc
        return self._view(batch)

    async def poll(self, job: BatchJob) -> VendorView:
        assert job.vendor_id is not None
        try:
            batch = await self._client.aio.batches.get(name=job.vendor_id)
        except VENDOR_ERRORS as exc:
            raise map_gemini_error(exc, self.key, job.model) from exc
        view = self._view(batch)
        if view.state == "failed":
            message = (batch.error.message if batch.error else None) or "the batch job failed"
            view.error = errors.job_failed(self.key, job.model, message)
        elif view.state in ("completed", "expired", "cancelled"):
            view.outcomes = self._outcomes(job, batch)
            ok = sum(o.ok for o in view.outcomes.values())
            view.counts = JobCounts(total=len(job.items), succeeded=ok, failed=len(job.items) - ok)
        return view

    async def cancel(self, job: BatchJob) -> VendorView:
        assert job.vendor_id is not None
        try:
            await self._client.aio.batches.cancel(name=job.vendor_id)
        except VENDOR_ERRORS as exc:
            raise map_gemini_error(exc, self.key, job.model) from exc
        return VendorView(state="cancelling", vendor_status="JOB_STATE_CANCELLING", vendor_id=job.vendor_id)

    def _view(self, batch: types.BatchJob) -> VendorView:
        status = str(getattr(batch.state, "value", batch.state) or "JOB_STATE_UNSPECIFIED")
        return VendorView(
            state=_STATES.get(status, "in_progress"), vendor_status=status, vendor_id=batch.name
        )

    def _outcomes(self, job: BatchJob, batch: types.BatchJob) -> dict[str, Outcome]:
        responses = (batch.dest.inlined_responses if batch.dest else None) or []
        found: dict[str, Outcome] = {}
        for index, inlined in enumerate(responses):
            key = (inlined.metadata or {}).get(KEY)
            if key is None and index < len(job.items):
                key = job.items[index].id  # inlined responses come back in request order
            if key is None:
                continue
            found[key] = self._outcome(job, inlined)
        return found

    def _outcome(self, job: BatchJob, inlined: types.InlinedResponse) -> Outcome:
        if inlined.response is not None:
            text, finish = answer_of(inlined.response)
            if finish is not None:
                return Outcome(
                    ok=True,
                    content=text,
                    finish_reason=finish,
                    usage=usage_from_gemini(inlined.response.usage_metadata) or Usage(),
                    model=inlined.response.model_version,
                )
        error = inlined.error
        message = (error.message if error else None) or "the request failed"
        kind = errors.from_grpc(error.code if error else None)
        return Outcome(
            ok=False,
            error=errors.item_error(kind, message, self.key, job.model, code=error.code if error else None),
        )

    async def aclose(self) -> None:
        await self._client.aio.aclose()
        await self._http.aclose()

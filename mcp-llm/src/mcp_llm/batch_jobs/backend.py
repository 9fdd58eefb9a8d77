"""What every batch backend does: hand a job to the vendor, report on it, cancel it."""

from __future__ import annotations

from typing import Protocol

from mcp_llm.batch_jobs.model import BatchJob, StoredItem, VendorView
from mcp_llm.providers.base import ProviderRequest
from mcp_shared.models import CompletionRequest


class VendorBatches(Protocol):
    """One vendor's batch API. Every method raises the gateway's ``LLMProviderError`` on a vendor failure."""

    async def submit(self, job: BatchJob) -> VendorView:
        """Create the vendor's job for ``job``'s requests; the view carries the vendor's job id."""

    async def poll(self, job: BatchJob) -> VendorView:
        """The vendor job's state; once it ended, each request's outcome by item id."""

    async def cancel(self, job: BatchJob) -> VendorView:
        """Ask the vendor to stop; requests already answered keep their results."""

    async def aclose(self) -> None: ...


def provider_request(job: BatchJob, item: StoredItem) -> ProviderRequest:
    """The adapter-level request of one stored item (the same one ``complete`` would send)."""
    request = CompletionRequest.model_validate(item.request)
    return ProviderRequest(
        model=job.model,
        messages=tuple(request.messages),
        params=request.generation_params(),
        prompt_cache=request.prompt_cache,
    )

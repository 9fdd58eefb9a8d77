"""Arguments and results of ``submit_batch``, ``get_batch`` and ``cancel_batch``."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mcp_llm.batch_jobs.model import Backend, ItemResult, JobCounts, JobState
from mcp_llm.batching import BatchItem, require_unique
from mcp_shared.identifiers import OrganizationId

JobId = Annotated[str, Field(pattern=r"^bj_[0-9a-f]{24}$", description="The job id submit_batch returned.")]

SUBMIT_DOC = (
    "Submit up to BATCH_MAX_ITEMS complete requests (one provider and model) as a batch job and get its id "
    "at once. OpenAI, Claude and Gemini run it through their batch APIs at the batch price (about half), "
    "within 24 hours; other providers run it as a throttled fan-out. Poll get_batch for the results. "
    "Its spend counts against the organization's token and dollar quotas when the results arrive; a job "
    "whose estimated cost exceeds the dollar quota left is refused (quota_exceeded, field items)."
)
GET_DOC = (
    "A batch job's state, request counts and cost; once it ended, every request's result in input order, "
    "each a response or a structured error."
)
CANCEL_DOC = "Cancel a batch job; requests already answered keep their results (and are billed)."


class SubmitBatchArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[BatchItem] = Field(
        min_length=1, description="The requests, each a complete request plus an id unique in the job."
    )
    organization_id: OrganizationId | None = Field(
        default=None, description="The organization billed (a service key acting for another)."
    )

    @field_validator("items")
    @classmethod
    def _unique_ids(cls, items: list[BatchItem]) -> list[BatchItem]:
        require_unique("id", [item.id for item in items])
        return items


class JobArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: JobId
    organization_id: OrganizationId | None = Field(
        default=None, description="The organization whose job it is (a service key acting for another)."
    )


class BatchJobView(BaseModel):
    """What a caller sees of a job."""

    id: str
    state: JobState
    provider: str
    model: str
    backend: Backend = Field(description="openai, anthropic or gemini (the vendor's batch API), or fanout.")
    vendor_status: str | None = None
    created_at: float
    ended_at: float | None = None
    counts: JobCounts
    cost_usd: float = Field(description="Sum of the answered requests' cost at the batch price.")
    standard_cost_usd: float = Field(description="What the same usage costs at the standard price.")
    price_source: str | None = None
    error: dict[str, object] | None = Field(default=None, description="Why the whole job failed, if it did.")
    items: list[ItemResult] | None = Field(
        default=None, description="Once the job ended: one result per request, in input order."
    )

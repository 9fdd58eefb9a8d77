"""A batch job as it is stored and shown: its state, its requests, and each request's outcome."""

from __future__ import annotations

import secrets
from typing import Any, Literal

from pydantic import BaseModel, Field

from mcp_shared.models import CompletionResponse, FinishReason, Usage

JobState = Literal["in_progress", "cancelling", "completed", "failed", "expired", "cancelled"]
FINAL_STATES: frozenset[str] = frozenset({"completed", "failed", "expired", "cancelled"})
Backend = Literal["openai", "anthropic", "gemini", "fanout"]


def new_job_id() -> str:
    return "bj_" + secrets.token_hex(12)


class StoredItem(BaseModel):
    """One request of a job: the caller's id and the validated ``complete`` arguments."""

    id: str
    request: dict[str, Any]


class ItemResult(BaseModel):
    """One request's outcome: a response, or a structured error (same shape as a failed call's)."""

    id: str
    ok: bool
    response: CompletionResponse | None = None
    error: dict[str, Any] | None = None


class JobCounts(BaseModel):
    total: int
    succeeded: int = 0
    failed: int = 0
    pending: int = 0


class BatchJob(BaseModel):
    """Everything the gateway keeps about one job."""

    id: str
    organization: str
    provider: str
    model: str
    backend: Backend
    state: JobState = "in_progress"
    vendor_status: str | None = None
    vendor_id: str | None = None
    created_at: float
    updated_at: float
    ended_at: float | None = None
    items: list[StoredItem]
    results: list[ItemResult] | None = None
    counts: JobCounts
    error: dict[str, Any] | None = None
    cost_usd: float = 0.0
    standard_cost_usd: float = 0.0
    price_source: str | None = None
    poll_interval: float = 0.0
    cancel_requested: bool = False

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


class Outcome(BaseModel):
    """What a vendor reported for one request, before pricing."""

    ok: bool
    content: str = ""
    finish_reason: FinishReason = "stop"
    usage: Usage = Field(default_factory=Usage)
    model: str | None = None
    error: dict[str, Any] | None = None


class VendorView(BaseModel):
    """A vendor's answer about a job: its state and, once it ended, every request's outcome by id."""

    state: JobState
    vendor_status: str
    vendor_id: str | None = None
    counts: JobCounts | None = None
    outcomes: dict[str, Outcome] | None = None
    error: dict[str, Any] | None = None

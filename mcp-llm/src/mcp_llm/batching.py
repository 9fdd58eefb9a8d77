"""``batch_complete``: many completions in one call, each through the whole chain, answered in order.

Each item is a full ``complete`` request with its own ``id``. Items run concurrently, at most
``concurrency`` at once, and each passes through every stage on its own: routing, response cache,
fallbacks, retries, circuit and **quota per item** — an item reserves only when it runs, so a batch larger
than an organization's remaining budget answers the items that fit and gives the rest a
``quota_exceeded`` error, instead of refusing everything up front. One item's failure is that item's
structured error; the batch itself fails only on invalid arguments. Over MCP, a progress notification
reports each item as it finishes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mcp_llm.gateway.pipeline import Gateway
from mcp_shared.errors import InternalError, ServiceError
from mcp_shared.models import CompletionRequest, CompletionResponse
from mcp_shared.server.tools import CallContext, StreamEvent

logger = logging.getLogger(__name__)

MAX_ITEMS = 100
"""Most items one batch may carry (the call's memory and duration stay bounded)."""
MAX_CONCURRENCY = 16
DEFAULT_CONCURRENCY = 4

BATCH_DOC = (
    f"Run up to {MAX_ITEMS} complete requests in one call, each with its own id, at most `concurrency` at "
    "once. Results come back in input order, each a response or a structured error; one item failing "
    "never fails the batch. Quota is reserved per item as it runs. Over MCP each finished item is "
    "reported as a progress notification."
)

ItemId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]


def require_unique(field: str, ids: Sequence[str]) -> None:
    """Refuses a batch whose items repeat an id: results are matched to requests by it."""
    seen: set[str] = set()
    for item_id in ids:
        if item_id in seen:
            raise ValueError(f"{field} '{item_id}' appears more than once")
        seen.add(item_id)


class BatchItem(CompletionRequest):
    """One ``complete`` request of a batch (never streamed)."""

    id: ItemId = Field(description="The caller's id for this item, unique within the batch.")


class BatchCompleteArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[BatchItem] = Field(
        min_length=1, max_length=MAX_ITEMS, description="The requests, each a complete request plus an id."
    )
    concurrency: int = Field(
        default=DEFAULT_CONCURRENCY, ge=1, le=MAX_CONCURRENCY, description="Items in flight at once."
    )

    @field_validator("items")
    @classmethod
    def _unique_ids(cls, items: list[BatchItem]) -> list[BatchItem]:
        require_unique("id", [item.id for item in items])
        return items


class BatchItemResult(BaseModel):
    id: str
    ok: bool
    response: CompletionResponse | None = None
    error: dict[str, object] | None = Field(
        default=None, description="The structured error of a failed item (same shape as a failed call's)."
    )


class BatchCompleteResult(BaseModel):
    items: list[BatchItemResult] = Field(description="One result per item, in input order.")
    succeeded: int
    failed: int
    cost_usd: float = Field(description="Sum of the items' cost_usd.")


Outcome: TypeAlias = CompletionResponse | ServiceError
"""One item's end: its answer or its structured error."""
OnDone: TypeAlias = Callable[[int, Outcome, int], Awaitable[None]]
"""Called as each item finishes: its index, its outcome, how many have finished so far."""


async def fan_out(
    gateway: Gateway,
    requests: Sequence[CompletionRequest | ServiceError],
    concurrency: int,
    call: CallContext,
    on_done: OnDone | None = None,
) -> list[Outcome]:
    """Each request through ``gateway.complete``, at most ``concurrency`` at once; outcomes in input order.

    An item given as a ``ServiceError`` (refused before it could run) keeps that error; shared by
    ``batch_complete`` and ``POST /v1/batch/chat/completions``."""
    slots = asyncio.Semaphore(concurrency)
    outcomes: list[Outcome | None] = [None] * len(requests)
    done = 0

    async def one(index: int, request: CompletionRequest | ServiceError) -> None:
        nonlocal done
        if isinstance(request, ServiceError):
            outcome: Outcome = request
        else:
            async with slots:
                outcome = await _run_item(gateway, request, call, index)
        outcomes[index] = outcome
        done += 1
        if on_done is not None:
            await on_done(index, outcome, done)

    async with asyncio.TaskGroup() as group:
        for index, request in enumerate(requests):
            group.create_task(one(index, request))
    finished = [o for o in outcomes if o is not None]
    assert len(finished) == len(requests), "every item ends with an outcome"
    return finished


async def batch_complete(gateway: Gateway, args: BatchCompleteArgs, call: CallContext) -> BatchCompleteResult:
    """Every item through ``gateway.complete``, bounded by ``args.concurrency``; results in input order."""

    async def report(index: int, outcome: Outcome, done: int) -> None:
        if call.streaming:
            ok = not isinstance(outcome, ServiceError)
            progress = {"id": args.items[index].id, "ok": ok, "done": done, "total": len(args.items)}
            await call.emit(StreamEvent(text=json.dumps(progress), event="item", data=progress))

    requests = [
        CompletionRequest.model_validate(item.model_dump(exclude={"id"}) | {"stream": False})
        for item in args.items
    ]
    outcomes = await fan_out(gateway, requests, args.concurrency, call, report)
    results = [
        BatchItemResult(id=item.id, ok=False, error=outcome.to_payload()["error"])
        if isinstance(outcome, ServiceError)
        else BatchItemResult(id=item.id, ok=True, response=outcome)
        for item, outcome in zip(args.items, outcomes, strict=True)
    ]
    return BatchCompleteResult(
        items=results,
        succeeded=sum(r.ok for r in results),
        failed=sum(not r.ok for r in results),
        cost_usd=round(sum(r.response.cost_usd for r in results if r.response), 12),
    )


async def _run_item(gateway: Gateway, request: CompletionRequest, call: CallContext, index: int) -> Outcome:
    item_call = dataclasses.replace(call, request_id=f"{call.request_id}.{index}", streaming=False)
    try:
        return await gateway.complete(request, item_call)
    except ServiceError as exc:
        return exc
    except Exception:  # one item's bug must not sink the other items
        logger.exception("batch item crashed", extra={"item": index})
        return InternalError(f"internal error on item {index}; quote request id {item_call.request_id}")

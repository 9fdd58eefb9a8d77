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
from typing import Annotated

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
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                raise ValueError(f"id '{item.id}' appears more than once")
            seen.add(item.id)
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


async def batch_complete(gateway: Gateway, args: BatchCompleteArgs, call: CallContext) -> BatchCompleteResult:
    """Every item through ``gateway.complete``, bounded by ``args.concurrency``; results in input order."""
    slots = asyncio.Semaphore(args.concurrency)
    results: list[BatchItemResult | None] = [None] * len(args.items)
    done = 0

    async def one(index: int, item: BatchItem) -> None:
        nonlocal done
        async with slots:
            results[index] = await _run_item(gateway, item, call, index)
        done += 1
        if call.streaming:
            result = results[index]
            assert result is not None
            progress = {"id": item.id, "ok": result.ok, "done": done, "total": len(args.items)}
            await call.emit(StreamEvent(text=json.dumps(progress), event="item", data=progress))

    async with asyncio.TaskGroup() as group:
        for index, item in enumerate(args.items):
            group.create_task(one(index, item))
    finished = [r for r in results if r is not None]
    assert len(finished) == len(args.items), "every item ends with a result"
    return BatchCompleteResult(
        items=finished,
        succeeded=sum(r.ok for r in finished),
        failed=sum(not r.ok for r in finished),
        cost_usd=round(sum(r.response.cost_usd for r in finished if r.response), 12),
    )


async def _run_item(gateway: Gateway, item: BatchItem, call: CallContext, index: int) -> BatchItemResult:
    request = CompletionRequest.model_validate(item.model_dump(exclude={"id"}) | {"stream": False})
    item_call = dataclasses.replace(call, request_id=f"{call.request_id}.{index}", streaming=False)
    try:
        response = await gateway.complete(request, item_call)
    except ServiceError as exc:
        return BatchItemResult(id=item.id, ok=False, error=exc.to_payload()["error"])
    except Exception:  # one item's bug must not sink the other items
        logger.exception("batch item crashed", extra={"item": index})
        error = InternalError(f"internal error on item '{item.id}'; quote request id {item_call.request_id}")
        return BatchItemResult(id=item.id, ok=False, error=error.to_payload()["error"])
    return BatchItemResult(id=item.id, ok=True, response=response)

"""A batch job for a provider without a batch API: every request through the ordinary completion chain
(quota, cache, retries, circuit, ledger per request), at most ``concurrency`` at once.

Each request carries an idempotency key derived from the job and its id, so a job resumed after a
restart replays the answers it already had (with ``REDIS_URL``) instead of calling and billing again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from mcp_llm.batch_jobs import errors
from mcp_llm.batch_jobs.model import BatchJob, ItemResult, StoredItem
from mcp_llm.gateway.pipeline import Gateway
from mcp_shared.errors import ErrorType, ServiceError
from mcp_shared.models import CompletionRequest
from mcp_shared.server.tools import CallContext

logger = logging.getLogger(__name__)


class FanOut:
    def __init__(self, gateway: Gateway, concurrency: int) -> None:
        self.gateway = gateway
        self.concurrency = concurrency

    async def run(
        self, job: BatchJob, cancelled: Callable[[], Awaitable[bool]]
    ) -> tuple[list[ItemResult], bool]:
        """Every request's result in input order, and whether the job was cancelled midway (the requests
        not yet started then end with a ``cancelled`` error)."""
        slots = asyncio.Semaphore(self.concurrency)
        stopped = False

        async def one(index: int, item: StoredItem) -> ItemResult:
            nonlocal stopped
            async with slots:
                if stopped or await cancelled():
                    stopped = True
                    return ItemResult(id=item.id, ok=False, error=errors.cancelled(job.provider, job.model))
                return await self._item(job, index, item)

        results = await asyncio.gather(*(one(i, item) for i, item in enumerate(job.items)))
        return list(results), stopped

    async def _item(self, job: BatchJob, index: int, item: StoredItem) -> ItemResult:
        request = CompletionRequest.model_validate(
            {**item.request, "stream": False, "idempotency_key": f"{job.id}.{index}"}
        )
        call = CallContext(transport="http", request_id=f"{job.id}.{index}", organization_id=job.organization)
        try:
            response = await self.gateway.complete(request, call)
        except ServiceError as exc:
            return ItemResult(id=item.id, ok=False, error=exc.to_payload()["error"])
        except Exception:  # one request's bug must not sink the others
            logger.exception("batch job request crashed", extra={"job": job.id, "item": index})
            error = errors.item_error(ErrorType.INTERNAL, "internal error", job.provider, job.model)
            return ItemResult(id=item.id, ok=False, error=error)
        return ItemResult(id=item.id, ok=True, response=response)

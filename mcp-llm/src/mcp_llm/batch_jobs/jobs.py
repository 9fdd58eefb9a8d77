"""Batch jobs end to end: submission (validated like ``complete``, bounded), the background poller with
backoff, cancellation, and the one-time ingestion of results into the usage ledger and the quotas.

Billing: a vendor job's usage is priced per request at the vendor's batch rate and billed to the
submitting organization by whichever poller wins the store's atomic ``finish``; nobody else bills it,
however many replicas polled or restarts happened. Billing (``billing``) writes the usage to the ledger
(``usage_report``) and charges its tokens and dollars to the organization's quota counters, past a limit
if need be: the work is done and paid for, so it is recorded, and calls after it are refused by the quota
as usual; budget alerts then fire as for ordinary calls. Quota is not reserved at submission (a job may
take 24 hours, far longer than a per-minute window), but a job whose estimated cost alone exceeds what is
left of a dollar quota is refused then. A fan-out job is billed by the chain itself, request by request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from mcp_llm.batch_jobs import errors
from mcp_llm.batch_jobs.args import BatchJobView, JobArgs, SubmitBatchArgs
from mcp_llm.batch_jobs.backend import VendorBatches
from mcp_llm.batch_jobs.billing import JobBilling
from mcp_llm.batch_jobs.fanout import FanOut
from mcp_llm.batch_jobs.model import (
    Backend,
    BatchJob,
    ItemResult,
    JobCounts,
    StoredItem,
    VendorView,
    new_job_id,
)
from mcp_llm.batch_jobs.store import JobStore
from mcp_llm.gateway.pipeline import Gateway
from mcp_llm.pricing import PriceBook
from mcp_llm.settings import LLMSettings
from mcp_shared.errors import (
    InvalidRequestError,
    LLMProviderError,
    NotFoundError,
    PayloadTooLargeError,
    ProviderUnavailableError,
    QuotaExceededError,
)
from mcp_shared.models import CompletionResponse
from mcp_shared.server.tools import CallContext

logger = logging.getLogger(__name__)

NATIVE: dict[str, Backend] = {"openai": "openai", "claude": "anthropic", "gemini": "gemini"}
"""Providers whose vendor has a batch API; every other provider's jobs run as a fan-out."""
MAX_LEASE = 120.0
"""How long one poll (or a fan-out between renewals) may hold a job before another poller may take it;
shorter when polls are frequent (``lease_seconds``), so a crashed poller's job resumes soon."""
SUBMIT_GRACE = 300.0
"""A job still without a vendor id this long after creation lost its submission (the process died)."""
UNSUPPORTED = ("stream", "conversation_id", "idempotency_key", "experiment", "episode_id", "organization_id")
"""Item fields a batch job cannot honour (the job has one organization, and no one listens for a stream)."""


class BatchJobs:
    def __init__(
        self,
        settings: LLMSettings,
        store: JobStore,
        gateway: Gateway,
        prices: PriceBook,
        billing: JobBilling,
    ) -> None:
        self.settings = settings
        self.store = store
        self.gateway = gateway
        self.prices = prices
        self.billing = billing
        self.fanout = FanOut(gateway, settings.batch_fanout_concurrency)
        self._backends: dict[str, VendorBatches] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._poller: asyncio.Task[None] | None = None
        self.lease = min(MAX_LEASE, max(5.0, 10 * settings.batch_poll_interval))

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.start()
        self._poller = asyncio.create_task(self._poll_loop(), name="batch-jobs-poller")

    async def stop(self) -> None:
        tasks = [t for t in (self._poller, *self._tasks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for backend in self._backends.values():
            with contextlib.suppress(Exception):
                await backend.aclose()
        await self.store.stop()

    # -- tools --------------------------------------------------------------------------------

    async def submit(self, args: SubmitBatchArgs, call: CallContext) -> BatchJobView:
        organization = self.gateway.organizations.acting_for(call.organization_id, args.organization_id)
        provider, model, items = self._validate(args)
        now = time.time()
        backend: Backend = NATIVE.get(provider, "fanout")
        job = BatchJob(
            id=new_job_id(),
            organization=organization,
            provider=provider,
            model=model,
            backend=backend,
            created_at=now,
            updated_at=now,
            items=items,
            counts=JobCounts(total=len(items), pending=len(items)),
            poll_interval=self.settings.batch_poll_interval,
        )
        self.gateway.providers.get(provider)  # an unconfigured provider is refused here, not per request
        vendor = self._backend(provider) if backend != "fanout" else None
        if vendor is not None:  # a fan-out's requests each reserve their own quota in the chain
            await self.billing.check(organization, provider, model, items)
        first_poll = now + SUBMIT_GRACE if vendor is not None else now + self.lease
        if not await self.store.create(job, first_poll, self.settings.batch_max_jobs_per_org):
            raise QuotaExceededError(
                f"organization '{organization}' already has {self.settings.batch_max_jobs_per_org} "
                "unfinished batch jobs (BATCH_MAX_JOBS_PER_ORG); wait for one to end or cancel one",
                details={"field": "items", "limit": "BATCH_MAX_JOBS_PER_ORG"},
            )
        if vendor is None:
            self._start_fanout(job)
            return self._view(job)
        try:
            view = await vendor.submit(job)
        except LLMProviderError:
            await self.store.delete(job.id)
            raise
        self._apply(job, view)
        await self.store.save(job, time.time() + job.poll_interval)
        logger.info(
            "batch job submitted",
            extra={"job": job.id, "provider": provider, "model": model, "items": len(items)},
        )
        return self._view(job)

    async def get(self, args: JobArgs, call: CallContext) -> BatchJobView:
        return self._view(await self._own(args, call), results=True)

    async def cancel(self, args: JobArgs, call: CallContext) -> BatchJobView:
        job = await self._own(args, call)
        if job.final or job.cancel_requested:
            return self._view(job, results=True)
        job.cancel_requested = True
        job.updated_at = time.time()
        if job.backend == "fanout" or job.vendor_id is None:
            await self.store.save(job, time.time() + self.lease)
            return self._view(job)
        view = await self._backend(job.provider).cancel(job)
        self._apply(job, view)
        job.poll_interval = self.settings.batch_poll_interval
        await self.store.save(job, time.time() + job.poll_interval)
        return self._view(job)

    # -- validation ---------------------------------------------------------------------------

    def _validate(self, args: SubmitBatchArgs) -> tuple[str, str, list[StoredItem]]:
        if len(args.items) > self.settings.batch_max_items:
            raise InvalidRequestError(
                f"a batch job takes at most {self.settings.batch_max_items} requests (BATCH_MAX_ITEMS); "
                f"this one has {len(args.items)}",
                status=422,
                details={"field": "items"},
            )
        stored: list[StoredItem] = []
        size = 0
        target: tuple[str, str] | None = None
        for index, item in enumerate(args.items):
            field = f"items[{index}]"
            for name in UNSUPPORTED:
                value = getattr(item, name)
                if value not in (None, False):
                    raise InvalidRequestError(
                        f"{name} is not supported in a batch job",
                        status=422,
                        details={"field": f"{field}.{name}"},
                    )
            try:
                resolved = self.gateway.resolver.resolve(item.provider, item.model)
            except InvalidRequestError as exc:
                inner = exc.details.get("field", "model")
                raise InvalidRequestError(
                    exc.message, status=422, details={"field": f"{field}.{inner}"}
                ) from exc
            here = (resolved.provider, resolved.model)
            if target is None:
                target = here
            elif here != target:
                raise InvalidRequestError(
                    f"every request of a batch job goes to one provider and model ({target[0]}/{target[1]}); "
                    f"this one names {here[0]}/{here[1]}",
                    status=422,
                    details={"field": f"{field}.model"},
                )
            if item.fallbacks and resolved.provider in NATIVE:
                raise InvalidRequestError(
                    "fallbacks are not supported by a vendor batch job",
                    status=422,
                    details={"field": f"{field}.fallbacks"},
                )
            request = item.model_dump(mode="json", exclude={"id"}, exclude_none=True)
            size += len(json.dumps(request))
            if size > self.settings.batch_max_bytes:
                raise PayloadTooLargeError(
                    f"the batch job's requests exceed {self.settings.batch_max_bytes} bytes "
                    f"(BATCH_MAX_BYTES) at item {index}",
                    details={"field": field},
                )
            stored.append(StoredItem(id=item.id, request=request))
        assert target is not None, "items has at least one request"
        return target[0], target[1], stored

    async def _own(self, args: JobArgs, call: CallContext) -> BatchJob:
        """The caller's organization's job; another organization's is as absent as a job that never was."""
        organization = self.gateway.organizations.acting_for(call.organization_id, args.organization_id)
        job = await self.store.get(args.id)
        if job is None or job.organization != organization:
            raise NotFoundError(f"no batch job '{args.id}'", details={"field": "id"})
        return job

    def _backend(self, provider: str) -> VendorBatches:
        backend = self._backends.get(provider)
        if backend is None:
            self.gateway.providers.get(provider)  # an unconfigured provider is an authentication error
            config = self.gateway.providers.config(provider)
            kind = NATIVE[provider]
            if kind == "openai":
                from mcp_llm.batch_jobs.openai_batch import OpenAIBatches

                backend = OpenAIBatches(config)
            elif kind == "anthropic":
                from mcp_llm.batch_jobs.anthropic_batch import AnthropicBatches

                backend = AnthropicBatches(config)
            else:
                from mcp_llm.batch_jobs.gemini_batch import GeminiBatches

                backend = GeminiBatches(config)
            self._backends[provider] = backend
        return backend

    # -- polling ------------------------------------------------------------------------------

    async def _poll_loop(self) -> None:
        tick = min(max(self.settings.batch_poll_interval / 2, 0.05), 5.0)
        while True:
            try:
                await self.poll_due()
            except ProviderUnavailableError as exc:  # the store is down: try again next tick
                logger.warning("batch jobs not polled: %s", exc.message)
            except Exception:  # the loop must outlive any one bad poll
                logger.exception("batch job poll failed")
            await asyncio.sleep(tick)

    async def poll_due(self) -> None:
        """Take every due job this process can lease and poll it (or resume its fan-out)."""
        now = time.time()
        for job_id in await self.store.due(now, 100):
            if job_id in self._tasks or not await self.store.lease(job_id, now, now + self.lease):
                continue
            job = await self.store.get(job_id)
            if job is None or job.final:
                continue
            if job.backend == "fanout":
                logger.info("resuming batch job", extra={"job": job.id})
                self._start_fanout(job)
            else:
                self._track(job.id, self._poll(job))

    def _track(self, job_id: str, work: Any) -> None:
        task = asyncio.create_task(work, name=f"batch-job-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    async def _poll(self, job: BatchJob) -> None:
        if job.vendor_id is None:
            if time.time() - job.created_at >= SUBMIT_GRACE:
                job.error = errors.job_failed(job.provider, job.model, "the submission was interrupted")
                await self._finish(job, VendorView(state="failed", vendor_status="unsubmitted", outcomes={}))
            return
        try:
            view = await self._backend(job.provider).poll(job)
        except LLMProviderError as exc:
            logger.warning("polling batch job failed: %s", exc.message, extra={"job": job.id})
            await self._reschedule(job, changed=False)
            return
        if view.state in ("completed", "failed", "expired", "cancelled"):
            await self._finish(job, view)
            return
        changed = view.vendor_status != job.vendor_status or (view.counts != job.counts and view.counts)
        self._apply(job, view)
        await self._reschedule(job, changed=bool(changed))

    async def _reschedule(self, job: BatchJob, changed: bool) -> None:
        """The next poll: soon after a change, then twice as long each time, up to the maximum."""
        base, most = self.settings.batch_poll_interval, self.settings.batch_poll_max_interval
        job.poll_interval = base if changed else min(max(job.poll_interval, base) * 2, most)
        job.updated_at = time.time()
        await self.store.save(job, time.time() + job.poll_interval)

    def _apply(self, job: BatchJob, view: VendorView) -> None:
        job.state = view.state
        job.vendor_status = view.vendor_status
        job.vendor_id = view.vendor_id or job.vendor_id
        if view.counts is not None:
            job.counts = view.counts
        job.updated_at = time.time()

    async def _finish(self, job: BatchJob, view: VendorView) -> None:
        """Results in input order, priced at the batch rate; the winner of ``finish`` bills them."""
        outcomes = view.outcomes or {}
        elapsed_ms = round((time.time() - job.created_at) * 1000, 3)
        results: list[ItemResult] = []
        cost = standard = 0.0
        source: str | None = None
        for index, item in enumerate(job.items):
            outcome = outcomes.get(item.id)
            if outcome is not None and outcome.ok:
                item_cost, source = self.prices.batch_cost(job.provider, job.model, outcome.usage)
                cost += item_cost
                standard += self.prices.cost(job.provider, job.model, outcome.usage)
                response = CompletionResponse(
                    content=outcome.content,
                    provider=job.provider,
                    model=outcome.model or job.model,
                    finish_reason=outcome.finish_reason,
                    usage=outcome.usage,
                    cost_usd=item_cost,
                    latency_ms=elapsed_ms,
                    request_id=f"{job.id}.{index}",
                    requested_provider=job.provider,
                    requested_model=job.model,
                )
                results.append(ItemResult(id=item.id, ok=True, response=response))
                continue
            error = outcome.error if outcome is not None else None
            if error is None:
                error = view.error or {
                    "expired": errors.expired,
                    "cancelled": errors.cancelled,
                }.get(view.state, errors.missing)(job.provider, job.model)
            results.append(ItemResult(id=item.id, ok=False, error=error))
        self._apply(job, view)
        job.results = results
        job.error = view.error or job.error
        ok = sum(r.ok for r in results)
        job.counts = JobCounts(total=len(results), succeeded=ok, failed=len(results) - ok)
        job.cost_usd, job.standard_cost_usd = round(cost, 12), round(standard, 12)
        job.price_source = source
        job.ended_at = time.time()
        if not await self.store.finish(job):
            return  # another poller finished it first and billed it
        await self.billing.bill(job)
        logger.info(
            "batch job ended",
            extra={"job": job.id, "state": job.state, "succeeded": ok, "cost_usd": job.cost_usd},
        )

    # -- fan-out ------------------------------------------------------------------------------

    def _start_fanout(self, job: BatchJob) -> None:
        """Run a fan-out job here; the caller holds its lease (a new job is created leased)."""
        self._track(job.id, self._run_fanout(job))

    async def _run_fanout(self, job: BatchJob) -> None:
        cancel_seen = job.cancel_requested
        last_check = 0.0

        async def cancelled() -> bool:
            """Renews the lease now and then, and reads whether someone cancelled the job meanwhile."""
            nonlocal cancel_seen, last_check
            now = time.time()
            if cancel_seen or now - last_check < min(self.lease / 4, 1.0):
                return cancel_seen
            last_check = now
            fresh = await self.store.get(job.id)
            cancel_seen = fresh is None or fresh.cancel_requested or fresh.final
            if fresh is not None and not cancel_seen:
                await self.store.save(fresh, now + self.lease)
            return cancel_seen

        results, stopped = await self.fanout.run(job, cancelled)
        fresh = await self.store.get(job.id) or job
        if fresh.final:
            return
        ok = sum(r.ok for r in results)
        fresh.state = "cancelled" if stopped or fresh.cancel_requested else "completed"
        fresh.vendor_status = fresh.state
        fresh.results = results
        fresh.counts = JobCounts(total=len(results), succeeded=ok, failed=len(results) - ok)
        fresh.cost_usd = round(sum(r.response.cost_usd for r in results if r.response), 12)
        fresh.standard_cost_usd = fresh.cost_usd
        fresh.price_source = "standard price (no batch API)"
        fresh.ended_at = fresh.updated_at = time.time()
        await self.store.finish(fresh)  # the chain already billed every request

    # -- views --------------------------------------------------------------------------------

    def _view(self, job: BatchJob, results: bool = False) -> BatchJobView:
        return BatchJobView(
            id=job.id,
            state=job.state,
            provider=job.provider,
            model=job.model,
            backend=job.backend,
            vendor_status=job.vendor_status,
            created_at=job.created_at,
            ended_at=job.ended_at,
            counts=job.counts,
            cost_usd=job.cost_usd,
            standard_cost_usd=job.standard_cost_usd,
            price_source=job.price_source,
            error=job.error,
            items=job.results if results else None,
        )

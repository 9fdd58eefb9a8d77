"""What a vendor batch job costs its organization, in the same books as ordinary calls.

At submission, a job whose estimated cost alone (every prompt counted, every request's ``max_tokens`` of
output, at the batch price) exceeds what is left of a dollar quota is refused with ``quota_exceeded``
naming ``items``; nothing is reserved, since a job may run for a day, far longer than a quota window.

When its results are ingested (once, by the poller that wins the store's atomic ``finish``), the job's
usage goes to the ledger (``usage_report``), its tokens and dollars to the organization's quota counters
of every token and dollar window (``QuotaManager.charge``), and the organization is queued for a budget
alert check. The work is done and paid for by then, so a job that takes the organization past a quota is
recorded in full, never dropped or trimmed; the calls after it are refused by the quota as usual.

A fan-out job never comes here: the chain reserves, settles and records each of its requests itself.
"""

from __future__ import annotations

import asyncio
import logging

from mcp_llm.batch_jobs.model import BatchJob, StoredItem
from mcp_llm.governance.budget_alerts import BudgetAlerts
from mcp_llm.governance.ledger import UsageLedger
from mcp_llm.governance.quotas import QuotaManager
from mcp_llm.pricing import PriceBook
from mcp_llm.tokens import TokenCounter
from mcp_shared.models import CompletionRequest

logger = logging.getLogger(__name__)


class JobBilling:
    """Checks a vendor job's estimate against the dollar quotas, and bills its results once they are in."""

    def __init__(
        self,
        prices: PriceBook,
        tokens: TokenCounter,
        ledger: UsageLedger,
        quotas: QuotaManager,
        alerts: BudgetAlerts | None,
    ) -> None:
        self.prices = prices
        self.tokens = tokens
        self.ledger = ledger
        self.quotas = quotas
        self.alerts = alerts

    def estimate(self, provider: str, model: str, items: list[StoredItem]) -> float:
        """Upper-bound cost of the job at the batch price: each prompt uncached, each output at its bound."""
        total = 0.0
        for item in items:
            request = CompletionRequest.model_validate(item.request)
            prompt = self.tokens.count_messages(provider, model, list(request.messages)).tokens
            total += self.prices.batch_estimate(provider, model, prompt, request.max_tokens)
        return total

    async def check(self, organization: str, provider: str, model: str, items: list[StoredItem]) -> None:
        """Refuse (``quota_exceeded`` naming ``items``) a job whose estimate alone exceeds what is left of
        one of the organization's dollar quotas; counting the prompts runs off the event loop."""
        if not self.quotas.counts_dollars(organization):
            return
        usd = await asyncio.to_thread(self.estimate, provider, model, items)
        await self.quotas.require_room(organization, usd, "the batch job's estimated cost", "items")

    async def bill(self, job: BatchJob) -> None:
        """Record a finished vendor job's answered requests: ledger, quota counters, budget alert check."""
        tokens = 0
        for result in job.results or ():
            if result.response is not None:
                usage = result.response.usage
                self.ledger.record(job.organization, job.provider, job.model, usage, result.response.cost_usd)
                tokens += usage.total_tokens
        await self.ledger.flush()
        if not tokens and not job.cost_usd:
            return
        try:
            await self.quotas.charge(job.organization, tokens, job.cost_usd)
        except Exception:  # the results are stored and in the ledger; the poller must go on
            logger.exception("charging a batch job to its quotas failed", extra={"job": job.id})
            return
        if self.alerts is not None:
            self.alerts.check_later(job.organization)

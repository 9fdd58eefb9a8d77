"""Budget alerts: an early warning when an organization's use of a quota crosses 50, 80 or 100 %.

After each call the organization is queued for a check (never awaited by the call: the check, the
claim and the webhook all run in one background worker). A crossing is claimed once per organization,
quota, threshold and quota window — ``SET NX`` in Redis when there is one, so several replicas send one
alert, else in memory — then logged, counted in ``llm_budget_alerts_total`` and, when the operator set
``ALERT_WEBHOOK_URL``, POSTed as JSON signed with HMAC-SHA256 of the body under ``ALERT_WEBHOOK_SECRET``
(header ``X-Alert-Signature: sha256=<hex>``), retried with exponential backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter
from pydantic import SecretStr
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from mcp_llm.governance.quotas import QuotaManager
from mcp_llm.state.redis_link import RedisLink

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Alert-Signature"
MAX_PENDING = 10_000
"""Organizations waiting for a check; past this, checks are dropped (logged) rather than memory grown."""


class WebhookFailed(Exception):
    """The receiver did not answer 2xx (retried)."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class BudgetAlerts:
    """Checks organizations' quota use off the request path and alerts once per threshold per window."""

    def __init__(
        self,
        quotas: QuotaManager,
        registry: CollectorRegistry,
        thresholds: Sequence[int] = (50, 80, 100),
        webhook_url: str | None = None,
        secret: SecretStr | None = None,
        redis: RedisLink | None = None,
        attempts: int = 5,
        first_wait: float = 0.5,
    ) -> None:
        self.quotas = quotas
        self.thresholds = sorted(set(thresholds))
        self.webhook_url = webhook_url
        self.secret = secret
        self.redis = redis
        self.attempts = attempts
        self.first_wait = first_wait
        self.sent = Counter(
            "llm_budget_alerts",
            "Budget thresholds crossed, by quota and threshold (percent).",
            ["quota", "threshold"],
            registry=registry,
        )
        self._claimed: dict[str, float] = {}  # claim key -> expiry (epoch seconds), without Redis
        self._pending: set[str] = set()
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()

    def check_later(self, organization: str) -> None:
        """Queue a check of ``organization`` (a no-op when one is already queued)."""
        if not self.thresholds or organization in self._pending:
            return
        if len(self._pending) >= MAX_PENDING:
            logger.warning("budget alert checks backlogged; a check was dropped")
            return
        self._pending.add(organization)
        self._queue.put_nowait(organization)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._work())

    async def idle(self) -> None:
        """Wait until every queued check and delivery has finished (tests, shutdown)."""
        await self._queue.join()
        while self._deliveries:
            await asyncio.gather(*list(self._deliveries), return_exceptions=True)

    async def stop(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle(), timeout=5)
        for task in [self._worker, *self._deliveries]:
            if task is not None:
                task.cancel()

    async def _work(self) -> None:
        while True:
            organization = await self._queue.get()
            self._pending.discard(organization)
            try:
                await self.check(organization)
            except Exception:  # an alert check must never take the worker down
                logger.exception("budget alert check failed")
            finally:
                self._queue.task_done()

    async def check(self, organization: str) -> None:
        for status in await self.quotas.status(organization):
            limit, used = float(status["limit"]), float(status["used"])  # type: ignore[arg-type]
            if limit <= 0:
                continue
            percent = 100 * used / limit
            for threshold in self.thresholds:
                if percent >= threshold and await self._claim(organization, status, threshold):
                    self._alert(organization, status, threshold, percent)

    async def _claim(self, organization: str, status: dict[str, object], threshold: int) -> bool:
        resets_at = str(status["resets_at"])
        key = f"llm:alert:{organization}:{status['quota']}:{threshold}:{resets_at}"
        ttl = max(60, int(datetime.fromisoformat(resets_at).timestamp() - time.time()) + 60)
        if self.redis is not None:

            async def set_once(r: Redis) -> bool:
                return bool(await r.set(key, "1", nx=True, ex=ttl))  # None when the key exists

            claimed = await self.redis.run(set_once, fallback=None)
            if claimed is not None:  # None: Redis is down, claim in this process instead
                return claimed
        now = time.time()
        self._claimed = {k: exp for k, exp in self._claimed.items() if exp > now}
        if key in self._claimed:
            return False
        self._claimed[key] = now + ttl
        return True

    def _alert(self, organization: str, status: dict[str, object], threshold: int, percent: float) -> None:
        payload = {
            "organization": organization,
            "quota": status["quota"],
            "threshold_percent": threshold,
            "used": status["used"],
            "limit": status["limit"],
            "used_percent": round(percent, 2),
            "resets_at": status["resets_at"],
        }
        logger.warning("budget threshold crossed", extra=payload)
        self.sent.labels(str(status["quota"]), str(threshold)).inc()
        if self.webhook_url:
            task = asyncio.get_running_loop().create_task(self._deliver(payload))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, payload: dict[str, object]) -> None:
        import httpx2  # only a service with a webhook and an alert to send needs an HTTP client

        assert self.webhook_url is not None
        body = json.dumps(payload, sort_keys=True).encode()
        headers = {"Content-Type": "application/json"}
        if self.secret is not None:
            headers[SIGNATURE_HEADER] = sign(self.secret.get_secret_value(), body)
        try:
            async with httpx2.AsyncClient(timeout=10) as client:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(self.attempts),
                    wait=wait_exponential(multiplier=self.first_wait, max=60),
                    retry=retry_if_exception_type((WebhookFailed, httpx2.HTTPError)),
                    reraise=True,
                ):
                    with attempt:
                        response = await client.post(self.webhook_url, content=body, headers=headers)
                        if not response.is_success:
                            raise WebhookFailed(f"status {response.status_code}")
        except (WebhookFailed, httpx2.HTTPError) as exc:
            logger.error("budget alert webhook failed", extra={"error": type(exc).__name__})

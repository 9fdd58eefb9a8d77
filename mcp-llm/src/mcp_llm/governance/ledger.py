"""The usage ledger: what each organization used, per provider, model and UTC day, for reports and billing.

Calls add to an in-memory buffer; the buffer is written to Redis (one pipeline of HINCRBY per flush,
every ``flush_interval`` seconds and when the service stops) or, without Redis, straight into the
in-process store. A failed write keeps the buffer and tries again, so a Redis outage delays usage
but does not lose it. Dollars are stored as integer nano-dollars, so sums are exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote, unquote

from mcp_llm.governance.metrics import GovernanceMetrics
from mcp_llm.governance.windows import day_label
from mcp_llm.state.redis_link import RedisLink
from mcp_shared.models import Usage

if TYPE_CHECKING:
    from redis.asyncio import Redis

NANO = 1_000_000_000
FIELDS = (
    "requests",
    "cached_requests",
    "failed_requests",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cost_nusd",
)
logger = logging.getLogger(__name__)

# (organization, day, provider, model) -> field -> amount
Buffer = dict[tuple[str, str, str, str], dict[str, int]]


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One organization's use of one model on one day."""

    day: str
    organization: str
    provider: str
    model: str
    values: dict[str, int]


class UsageStore(Protocol):
    name: str

    async def write(self, buffer: Buffer, retention_seconds: int) -> bool:
        """Add a buffer of increments; False when it could not be written (it will be retried)."""

    async def read(self, days: list[str], organization: str | None) -> list[UsageRow] | None: ...


class MemoryUsageStore:
    name = "memory"

    def __init__(self) -> None:
        self._rows: Buffer = defaultdict(lambda: dict.fromkeys(FIELDS, 0))

    def add(self, buffer: Buffer) -> None:
        for key, values in buffer.items():
            row = self._rows[key]
            for name, amount in values.items():
                row[name] += amount

    async def write(self, buffer: Buffer, retention_seconds: int) -> bool:
        self.add(buffer)
        return True

    async def read(self, days: list[str], organization: str | None) -> list[UsageRow]:
        wanted = set(days)
        return [
            UsageRow(day, org, provider, model, dict(values))
            for (org, day, provider, model), values in self._rows.items()
            if day in wanted and (organization is None or org == organization)
        ]


def _hash_key(organization: str, day: str) -> str:
    return f"gov:usage:{{{quote(organization, safe='')}}}:{day}"


def _orgs_key(day: str) -> str:
    return f"gov:usage:orgs:{day}"


class RedisUsageStore:
    """A hash per organization and day, ``provider|model|field -> amount``, plus a set of each day's orgs."""

    name = "redis"

    def __init__(self, link: RedisLink) -> None:
        self.link = link

    async def write(self, buffer: Buffer, retention_seconds: int) -> bool:
        async def run(client: Redis) -> bool:
            async with client.pipeline(transaction=False) as pipe:
                for (org, day, provider, model), values in buffer.items():
                    key = _hash_key(org, day)
                    prefix = f"{quote(provider, safe='')}|{quote(model, safe='')}|"
                    for name, amount in values.items():
                        if amount:
                            pipe.hincrby(key, prefix + name, amount)
                    pipe.expire(key, retention_seconds)
                    pipe.sadd(_orgs_key(day), org)
                    pipe.expire(_orgs_key(day), retention_seconds)
                await pipe.execute()
            return True

        return bool(await self.link.run(run, False))

    async def read(self, days: list[str], organization: str | None) -> list[UsageRow] | None:
        async def run(client: Redis) -> list[UsageRow]:
            if organization is None:
                async with client.pipeline(transaction=False) as pipe:
                    for day in days:
                        pipe.smembers(_orgs_key(day))
                    members = await pipe.execute()
                pairs = [
                    (m.decode() if isinstance(m, bytes) else m, day)
                    for day, found in zip(days, members, strict=True)
                    for m in found
                ]
            else:
                pairs = [(organization, day) for day in days]
            async with client.pipeline(transaction=False) as pipe:
                for org, day in pairs:
                    pipe.hgetall(_hash_key(org, day))
                hashes = await pipe.execute()
            rows: dict[tuple[str, str, str, str], dict[str, int]] = defaultdict(
                lambda: dict.fromkeys(FIELDS, 0)
            )
            for (org, day), found in zip(pairs, hashes, strict=True):
                for raw_field, raw_value in found.items():
                    text = raw_field.decode() if isinstance(raw_field, bytes) else raw_field
                    provider, model, name = text.split("|")
                    rows[(org, day, unquote(provider), unquote(model))][name] = int(raw_value)
            return [UsageRow(day, org, p, m, values) for (org, day, p, m), values in rows.items()]

        return await self.link.run(run, None)


class UsageLedger:
    """Buffers usage records and writes them to a store; reads merge in what is still buffered."""

    def __init__(
        self,
        store: UsageStore,
        metrics: GovernanceMetrics,
        retention_days: int = 400,
        flush_interval: float = 1.0,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self._retention = retention_days * 86_400
        self._interval = flush_interval
        self._buffer: Buffer = {}
        self._task: asyncio.Task[None] | None = None
        self._memory = store if isinstance(store, MemoryUsageStore) else None
        """Without Redis, records go straight into the in-process store: nothing to flush or lose."""

    def record(
        self,
        organization: str,
        provider: str,
        model: str,
        usage: Usage,
        cost_usd: float,
        *,
        cached: bool = False,
        failed: bool = False,
        now: float | None = None,
    ) -> None:
        """Add one call's usage (a cache hit counts as a request that cost nothing)."""
        key = (organization, day_label(now or time.time()), provider, model)
        row = self._buffer.get(key)
        if row is None:
            row = self._buffer[key] = dict.fromkeys(FIELDS, 0)
        row["requests"] += 1
        if cached:
            row["cached_requests"] += 1
        if failed:
            row["failed_requests"] += 1
        row["input_tokens"] += usage.input_tokens
        row["output_tokens"] += usage.output_tokens
        row["cache_read_tokens"] += usage.cache_read_tokens
        row["cache_write_tokens"] += usage.cache_write_tokens
        row["reasoning_tokens"] += usage.reasoning_tokens
        row["cost_nusd"] += math.floor(cost_usd * NANO + 0.5)
        if self._memory is not None:
            self._memory.add(self._buffer)
            self._buffer = {}

    async def flush(self) -> bool:
        """Write the buffer; on failure keep it (merged with anything recorded meanwhile)."""
        if not self._buffer:
            return True
        buffer, self._buffer = self._buffer, {}
        if await self.store.write(buffer, self._retention):
            return True
        self.metrics.usage_write_failures.inc()
        for key, values in buffer.items():
            row = self._buffer.setdefault(key, dict.fromkeys(FIELDS, 0))
            for name, amount in values.items():
                row[name] += amount
        return False

    async def read(self, days: list[str], organization: str | None) -> list[UsageRow] | None:
        await self.flush()
        return await self.store.read(days, organization)

    def pending(self) -> int:
        return len(self._buffer)

    async def start(self) -> None:
        if self._memory is None and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="usage-ledger-flush")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.flush()
            except Exception:  # the loop must outlive any single bad flush
                logger.exception("usage flush failed")

"""Quality totals per organization, UTC day, provider, model and experiment variant, for ``quality_report``.

The same shape as the usage ledger (``governance/ledger.py``): calls add integer increments to an
in-memory buffer, written to Redis (one pipeline of ``HINCRBY`` per flush, every ``flush_interval``
seconds and at shutdown) or, without Redis, straight into the in-process store. Redis keeps them
across restarts and shares them between replicas; a failed write keeps the buffer for the next try.
Fractional amounts are stored in fixed-point units (micro, nano) so sums stay exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote, unquote

from mcp_llm.governance.windows import day_label
from mcp_llm.state.redis_link import RedisLink

if TYPE_CHECKING:
    from redis.asyncio import Redis

FIELDS = (
    "responses",
    "truncated",
    "content_filtered",
    "refusals",
    "empty",
    "json_requested",
    "json_valid",
    "json_unparsable",
    "json_schema_mismatch",
    "retries",
    "fallbacks",
    "rate_count",
    "rate_milli",
    "ttft_count",
    "ttft_us",
    "cost_nusd",
    "judged",
    "judge_score_micro",
)
"""``rate_milli``: output tokens per second x 1000 summed over ``rate_count`` answers; ``ttft_us``:
microseconds to the first streamed token over ``ttft_count`` streams; ``judge_score_micro``: the
judge's scores x 10^6 over ``judged`` answers."""
logger = logging.getLogger(__name__)

Key = tuple[str, str, str, str, str]
"""(organization, day, provider, model, variant)"""
Buffer = dict[Key, dict[str, int]]


@dataclass(frozen=True, slots=True)
class QualityRow:
    organization: str
    day: str
    provider: str
    model: str
    variant: str
    values: dict[str, int]


class QualityStore(Protocol):
    name: str

    async def write(self, buffer: Buffer, retention_seconds: int) -> bool: ...
    async def read(self, days: list[str], organization: str | None) -> list[QualityRow] | None: ...


class MemoryQualityStore:
    name = "memory"

    def __init__(self) -> None:
        self._rows: Buffer = defaultdict(lambda: dict.fromkeys(FIELDS, 0))

    async def write(self, buffer: Buffer, retention_seconds: int) -> bool:
        for key, values in buffer.items():
            row = self._rows[key]
            for name, amount in values.items():
                row[name] += amount
        return True

    async def read(self, days: list[str], organization: str | None) -> list[QualityRow]:
        wanted = set(days)
        return [
            QualityRow(org, day, provider, model, variant, dict(values))
            for (org, day, provider, model, variant), values in self._rows.items()
            if day in wanted and (organization is None or org == organization)
        ]


def _hash_key(organization: str, day: str) -> str:
    return f"llm-quality:{{{quote(organization, safe='')}}}:{day}"


def _orgs_key(day: str) -> str:
    return f"llm-quality:orgs:{day}"


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


class RedisQualityStore:
    """A hash per organization and day, ``provider|model|variant|field -> amount``, and a set of each
    day's organizations."""

    name = "redis"

    def __init__(self, link: RedisLink) -> None:
        self.link = link

    async def write(self, buffer: Buffer, retention_seconds: int) -> bool:
        async def run(client: Redis) -> bool:
            async with client.pipeline(transaction=False) as pipe:
                for (org, day, provider, model, variant), values in buffer.items():
                    key = _hash_key(org, day)
                    prefix = "|".join(quote(p, safe="") for p in (provider, model, variant)) + "|"
                    for name, amount in values.items():
                        if amount:
                            pipe.hincrby(key, prefix + name, amount)
                    pipe.expire(key, retention_seconds)
                    pipe.sadd(_orgs_key(day), org)
                    pipe.expire(_orgs_key(day), retention_seconds)
                await pipe.execute()
            return True

        return bool(await self.link.run(run, False))

    async def read(self, days: list[str], organization: str | None) -> list[QualityRow] | None:
        async def run(client: Redis) -> list[QualityRow]:
            if organization is None:
                async with client.pipeline(transaction=False) as pipe:
                    for day in days:
                        pipe.smembers(_orgs_key(day))
                    members = await pipe.execute()
                pairs = [(_text(m), day) for day, found in zip(days, members, strict=True) for m in found]
            else:
                pairs = [(organization, day) for day in days]
            async with client.pipeline(transaction=False) as pipe:
                for org, day in pairs:
                    pipe.hgetall(_hash_key(org, day))
                hashes = await pipe.execute()
            rows: Buffer = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
            for (org, day), found in zip(pairs, hashes, strict=True):
                for raw_field, raw_value in found.items():
                    provider, model, variant, name = _text(raw_field).split("|")
                    if name in FIELDS:
                        key = (org, day, unquote(provider), unquote(model), unquote(variant))
                        rows[key][name] = int(raw_value)
            return [QualityRow(*key, values) for key, values in rows.items()]

        return await self.link.run(run, None)


class QualityLedger:
    """Buffers quality increments and writes them to a store; reads write what is buffered first."""

    def __init__(self, store: QualityStore, retention_days: int = 400, flush_interval: float = 1.0) -> None:
        self.store = store
        self._retention = retention_days * 86_400
        self._interval = flush_interval
        self._buffer: Buffer = {}
        self._task: asyncio.Task[None] | None = None
        self._day = (-1, "")
        """(days since the epoch, its label): a date formatted on every call would cost more than the rest."""

    def _today(self) -> str:
        number = int(time.time() // 86_400)
        if number != self._day[0]:
            self._day = (number, day_label(number * 86_400))
        return self._day[1]

    def add(
        self, organization: str, provider: str, model: str, variant: str, amounts: dict[str, int]
    ) -> None:
        """Add increments to today's row (no I/O: the buffer is written in the background)."""
        key = (organization, self._today(), provider, model, variant)
        row = self._buffer.get(key)
        if row is None:
            row = self._buffer[key] = dict.fromkeys(FIELDS, 0)
        for name, amount in amounts.items():
            row[name] += amount

    async def flush(self) -> bool:
        if not self._buffer:
            return True
        buffer, self._buffer = self._buffer, {}
        if await self.store.write(buffer, self._retention):
            return True
        for key, values in buffer.items():
            row = self._buffer.setdefault(key, dict.fromkeys(FIELDS, 0))
            for name, amount in values.items():
                row[name] += amount
        return False

    async def read(self, days: list[str], organization: str | None) -> list[QualityRow] | None:
        await self.flush()
        return await self.store.read(days, organization)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="quality-ledger-flush")

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
                logger.exception("quality flush failed")

"""Integer counters per organization and UTC day, under the usage and the quality ledgers.

Increments go to an in-memory buffer, written to Redis (one pipeline of ``HINCRBY`` per flush, every
``flush_interval`` seconds and at shutdown) or, without Redis, straight into the in-process store.
Redis keeps them across restarts and shares them between replicas; a failed write keeps the buffer
for the next try, so an outage delays counts but does not lose them. Fractional amounts are stored
in fixed-point units (micro, nano) so sums stay exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote, unquote

from mcp_llm.state.redis_link import RedisLink

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

Key = tuple[str, ...]
"""(organization, day, then the layout's parts)"""
Counts = dict[Key, dict[str, int]]


@dataclass(frozen=True, slots=True)
class CounterLayout:
    """What one kind of counter counts and where it lives in Redis: a hash per organization and day,
    ``part|part|...|field -> amount`` (each part URL-quoted), and a set of each day's organizations.

    Stored data outlives releases: a changed prefix, part order or field name orphans it."""

    prefix: str
    parts: tuple[str, ...]
    fields: tuple[str, ...]

    def hash_key(self, organization: str, day: str) -> str:
        return f"{self.prefix}:{{{quote(organization, safe='')}}}:{day}"

    def orgs_key(self, day: str) -> str:
        return f"{self.prefix}:orgs:{day}"

    def zeros(self) -> dict[str, int]:
        return dict.fromkeys(self.fields, 0)


def day_label(now: float) -> str:
    """The UTC date counts are kept under (``YYYY-MM-DD``); asked on every call, formatted once a day."""
    return _utc_date(int(now // 86_400))


@lru_cache(maxsize=4)
def _utc_date(day_number: int) -> str:
    return datetime.fromtimestamp(day_number * 86_400, tz=UTC).strftime("%Y-%m-%d")


def _add(rows: Counts, key: Key, amounts: Mapping[str, int], layout: CounterLayout) -> None:
    row = rows.get(key)
    if row is None:
        row = rows[key] = layout.zeros()
    for name, amount in amounts.items():
        row[name] += amount


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


class CounterStore(Protocol):
    name: str
    layout: CounterLayout

    async def write(self, counts: Counts, retention_seconds: int) -> bool:
        """Add increments; False when they could not be written (they will be retried)."""

    async def read(self, days: list[str], organization: str | None) -> Counts | None:
        """The rows of these days (of one organization, or all); None when the store is unreachable."""


class MemoryCounterStore:
    name = "memory"

    def __init__(self, layout: CounterLayout) -> None:
        self.layout = layout
        self._rows: Counts = {}

    def add(self, key: Key, amounts: Mapping[str, int]) -> None:
        _add(self._rows, key, amounts, self.layout)

    async def write(self, counts: Counts, retention_seconds: int) -> bool:
        for key, values in counts.items():
            self.add(key, values)
        return True

    async def read(self, days: list[str], organization: str | None) -> Counts:
        wanted = set(days)
        return {
            key: dict(values)
            for key, values in self._rows.items()
            if key[1] in wanted and (organization is None or key[0] == organization)
        }


class RedisCounterStore:
    name = "redis"

    def __init__(self, link: RedisLink, layout: CounterLayout) -> None:
        self.link = link
        self.layout = layout

    async def write(self, counts: Counts, retention_seconds: int) -> bool:
        layout = self.layout

        async def run(client: Redis) -> bool:
            async with client.pipeline(transaction=False) as pipe:
                for (org, day, *parts), values in counts.items():
                    key = layout.hash_key(org, day)
                    prefix = "".join(quote(part, safe="") + "|" for part in parts)
                    for name, amount in values.items():
                        if amount:
                            pipe.hincrby(key, prefix + name, amount)
                    pipe.expire(key, retention_seconds)
                    pipe.sadd(layout.orgs_key(day), org)
                    pipe.expire(layout.orgs_key(day), retention_seconds)
                await pipe.execute()
            return True

        return bool(await self.link.run(run, False))

    async def read(self, days: list[str], organization: str | None) -> Counts | None:
        layout = self.layout

        async def run(client: Redis) -> Counts:
            if organization is None:
                async with client.pipeline(transaction=False) as pipe:
                    for day in days:
                        pipe.smembers(layout.orgs_key(day))
                    members = await pipe.execute()
                pairs = [(_text(m), day) for day, found in zip(days, members, strict=True) for m in found]
            else:
                pairs = [(organization, day) for day in days]
            async with client.pipeline(transaction=False) as pipe:
                for org, day in pairs:
                    pipe.hgetall(layout.hash_key(org, day))
                hashes = await pipe.execute()
            rows: Counts = {}
            for (org, day), found in zip(pairs, hashes, strict=True):
                for raw_field, raw_value in found.items():
                    *parts, name = _text(raw_field).split("|")
                    if len(parts) == len(layout.parts) and name in layout.fields:
                        key = (org, day, *map(unquote, parts))
                        _add(rows, key, {name: int(raw_value)}, layout)
            return rows

        return await self.link.run(run, None)


def counter_store(layout: CounterLayout, redis: RedisLink | None) -> CounterStore:
    """Redis when configured, else the in-process store."""
    return RedisCounterStore(redis, layout) if redis else MemoryCounterStore(layout)


class DailyCounters:
    """Buffers increments and writes them to a store; reads write what is buffered first."""

    def __init__(
        self,
        store: CounterStore,
        retention_days: int = 400,
        flush_interval: float = 1.0,
        on_write_failure: Callable[[], object] | None = None,
    ) -> None:
        self.store = store
        self.layout = store.layout
        self._retention = retention_days * 86_400
        self._interval = flush_interval
        self._on_write_failure = on_write_failure
        self._buffer: Counts = {}
        self._task: asyncio.Task[None] | None = None
        self._memory = store if isinstance(store, MemoryCounterStore) else None
        """Without Redis, increments go straight into the in-process store: nothing to flush or lose."""
        self._day = (-1, "")
        """(days since the epoch, its label): a date formatted on every call would cost more than the rest."""

    def today(self) -> str:
        number = int(time.time() // 86_400)
        if number != self._day[0]:
            self._day = (number, day_label(number * 86_400))
        return self._day[1]

    def count(self, key: Key, amounts: Mapping[str, int]) -> None:
        """Add increments to a row (no I/O: the buffer is written in the background)."""
        if self._memory is not None:
            self._memory.add(key, amounts)
        else:
            _add(self._buffer, key, amounts, self.layout)

    async def flush(self) -> bool:
        """Write the buffer; on failure keep it (merged with anything counted meanwhile)."""
        if not self._buffer:
            return True
        buffer, self._buffer = self._buffer, {}
        if await self.store.write(buffer, self._retention):
            return True
        if self._on_write_failure is not None:
            self._on_write_failure()
        for key, values in buffer.items():
            _add(self._buffer, key, values, self.layout)
        return False

    async def read(self, days: list[str], organization: str | None) -> Counts | None:
        await self.flush()
        return await self.store.read(days, organization)

    def pending(self) -> int:
        return len(self._buffer)

    async def start(self) -> None:
        if self._memory is None and self._task is None:
            self._task = asyncio.create_task(self._loop(), name=f"{self.layout.prefix}-flush")

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
                logger.exception("flush of %s counters failed", self.layout.prefix)

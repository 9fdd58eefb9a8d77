"""Where quota counters live: one Redis Lua script shared by every replica, or its in-process twin.

A reservation checks every counter it touches and, only if all have room, adds to all of them, in
one step: the script runs atomically inside Redis, and the in-process twin runs without yielding
to the event loop. So concurrent calls can never overshoot a limit between "check" and "add".
Adjustments (reconciling with real usage, releasing a failed call) never resurrect a counter whose
window has already ended.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from mcp_llm.state.redis_link import RedisLink

# KEYS: counters. ARGV[1]: "limit amount ttl" per key, space-separated (one argument keeps the client's
# packing cheap). A zero amount is not checked (a free call spends no dollars). Returns {0, used...}
# after adding, or {index, used} of the first counter without room. A counter gets its expiry when
# it is created: the end of its window plus a grace period.
RESERVE_SCRIPT = """
local spec = {}
for value in string.gmatch(ARGV[1], '%S+') do spec[#spec + 1] = tonumber(value) end
local used = {}
for i = 1, #KEYS do
  local amount = spec[3 * i - 1]
  local current = tonumber(redis.call('GET', KEYS[i]) or '0')
  if amount > 0 and current + amount > spec[3 * i - 2] then
    return {i, current}
  end
  used[i] = current
end
local result = {0}
for i = 1, #KEYS do
  local amount = spec[3 * i - 1]
  if amount ~= 0 then
    local after = redis.call('INCRBY', KEYS[i], amount)
    if after == amount then redis.call('EXPIRE', KEYS[i], spec[3 * i]) end
    result[i + 1] = after
  else
    result[i + 1] = used[i]
  end
end
return result
"""

# KEYS: counters. ARGV: delta per key. Only counters that still exist (their window is open) change.
ADJUST_SCRIPT = """
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('INCRBY', KEYS[i], ARGV[i])
  end
end
return #KEYS
"""


@dataclass(frozen=True, slots=True)
class Counter:
    """One counter a reservation touches, with its limit and the window's lifetime."""

    key: str
    limit: int
    amount: int
    ttl: int


@dataclass(frozen=True, slots=True)
class ReserveResult:
    """``blocked`` is the index of the first counter without room (None: reserved); ``used`` per counter."""

    blocked: int | None
    used: list[int]


class QuotaStore(Protocol):
    name: str

    async def reserve(self, counters: list[Counter]) -> ReserveResult | None:
        """Check and add atomically; None when the store cannot answer (Redis down)."""

    async def adjust(self, deltas: list[tuple[str, int]]) -> None: ...

    async def read(self, keys: list[str]) -> list[int] | None: ...


class MemoryQuotaStore:
    """The in-process twin: the same rule, for one replica (no REDIS_URL, or Redis down)."""

    name = "memory"

    def __init__(self) -> None:
        self._values: dict[str, tuple[int, float]] = {}
        self._next_sweep = 0.0

    def _current(self, key: str, now: float) -> int:
        found = self._values.get(key)
        if found is None or found[1] <= now:
            return 0
        return found[0]

    async def reserve(self, counters: list[Counter]) -> ReserveResult:
        now = time.monotonic()
        self._sweep(now)
        used = [self._current(c.key, now) for c in counters]
        for index, (counter, current) in enumerate(zip(counters, used, strict=True)):
            if counter.amount > 0 and current + counter.amount > counter.limit:
                return ReserveResult(index, [current])
        after = []
        for counter, current in zip(counters, used, strict=True):
            value = current + counter.amount
            self._values[counter.key] = (value, now + counter.ttl)
            after.append(value)
        return ReserveResult(None, after)

    async def adjust(self, deltas: list[tuple[str, int]]) -> None:
        now = time.monotonic()
        for key, delta in deltas:
            found = self._values.get(key)
            if found is not None and found[1] > now:
                self._values[key] = (found[0] + delta, found[1])

    async def read(self, keys: list[str]) -> list[int]:
        now = time.monotonic()
        return [self._current(k, now) for k in keys]

    def seed(self, counters: list[Counter], values: list[int]) -> None:
        """Remember what the shared store last said, so an outage continues from there, not from zero."""
        expires = time.monotonic()
        for counter, value in zip(counters, values, strict=True):
            self._values[counter.key] = (value, expires + counter.ttl)

    def _sweep(self, now: float) -> None:
        """Drop counters of ended windows, at most once a minute."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + 60
        for key in [k for k, (_, expires) in self._values.items() if expires <= now]:
            del self._values[key]


class RedisQuotaStore:
    """Counters in Redis, shared by every replica; keys carry the organization as a hash tag."""

    name = "redis"

    def __init__(self, link: RedisLink) -> None:
        self.link = link
        self._reserve = link.client.register_script(RESERVE_SCRIPT)
        self._adjust = link.client.register_script(ADJUST_SCRIPT)

    async def reserve(self, counters: list[Counter]) -> ReserveResult | None:
        spec = " ".join(f"{c.limit} {c.amount} {c.ttl}" for c in counters)

        async def run(client: Redis) -> list[int]:
            return await self._reserve(keys=[c.key for c in counters], args=[spec], client=client)

        raw = await self.link.run(run, None)
        if raw is None:
            return None
        status = int(raw[0])
        if status:
            return ReserveResult(status - 1, [int(raw[1])])
        return ReserveResult(None, [int(v) for v in raw[1:]])

    async def adjust(self, deltas: list[tuple[str, int]]) -> None:
        changed = [(k, d) for k, d in deltas if d]
        if not changed:
            return

        async def run(client: Redis) -> int:
            return await self._adjust(
                keys=[k for k, _ in changed], args=[d for _, d in changed], client=client
            )

        await self.link.run(run, None)

    async def read(self, keys: list[str]) -> list[int] | None:
        if not keys:
            return []
        raw = await self.link.run(lambda r: r.mget(keys), None)
        if raw is None:
            return None
        return [int(v) if v is not None else 0 for v in raw]

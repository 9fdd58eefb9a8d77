"""Where quota counters live: one Redis Lua script shared by every replica, or its in-process twin.

A reservation checks every counter it touches and, only if all have room, adds to all of them, in
one step: the script runs atomically inside Redis, and the in-process twin runs without yielding
to the event loop. So concurrent calls can never overshoot a limit between "check" and "add".
Adjustments (reconciling with real usage, releasing a failed call) never resurrect a counter whose
window has already ended.

Under concurrency, an organization's reservations that arrive while one of its round trips is in
flight ride together in the next one (the script still applies them one by one), and corrections that
arrive together are summed per counter: one round trip serves many calls; an idle gateway sends at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from mcp_llm.state.redis_link import RedisLink

if TYPE_CHECKING:
    from redis.asyncio import Redis

# Reservations of one organization, checked and applied one after the other in a single round trip.
# KEYS: every reservation's counters, in order. ARGV[1]: per reservation "n" then "limit amount ttl" per
# counter, space-separated (one argument keeps the client's packing cheap). A zero amount is not
# checked (a free call spends no dollars). Returns per reservation its status (0: reserved, else the
# 1-based index of the first counter without room) and n values: the counters after adding, or as found.
# A counter gets its expiry when it is created: the end of its window plus a grace period.
RESERVE_SCRIPT = """
local spec = {}
for value in string.gmatch(ARGV[1], '%S+') do spec[#spec + 1] = tonumber(value) end
local result = {}
local at, key = 1, 0
while at <= #spec do
  local n = spec[at]
  local current, blocked = {}, 0
  for i = 1, n do
    local base = at + 3 * (i - 1)
    current[i] = tonumber(redis.call('GET', KEYS[key + i]) or '0')
    if blocked == 0 and spec[base + 2] > 0 and current[i] + spec[base + 2] > spec[base + 1] then
      blocked = i
    end
  end
  result[#result + 1] = blocked
  for i = 1, n do
    local base = at + 3 * (i - 1)
    local amount = spec[base + 2]
    if blocked == 0 and amount ~= 0 then
      current[i] = redis.call('INCRBY', KEYS[key + i], amount)
      if current[i] == amount then redis.call('EXPIRE', KEYS[key + i], spec[base + 3]) end
    end
    result[#result + 1] = current[i]
  end
  at, key = at + 1 + 3 * n, key + n
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


def _group(key: str) -> str:
    """The organization hash tag of a counter key (``gov:quota:{org}:...``)."""
    return key[key.find("{") + 1 : key.find("}")]


class RedisQuotaStore:
    """Counters in Redis, shared by every replica; keys carry the organization as a hash tag."""

    name = "redis"

    def __init__(self, link: RedisLink) -> None:
        self.link = link
        self._reserve = link.client.register_script(RESERVE_SCRIPT)
        self._adjust = link.client.register_script(ADJUST_SCRIPT)
        self._waiting: dict[str, list[tuple[list[Counter], asyncio.Future[ReserveResult | None]]]] = {}
        self._deltas: dict[str, dict[str, int]] = {}
        self._adjusted: dict[str, asyncio.Future[None]] = {}
        self._senders: set[asyncio.Task[None]] = set()

    def _start(self, coroutine: Coroutine[None, None, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._senders.add(task)
        task.add_done_callback(self._senders.discard)

    async def reserve(self, counters: list[Counter]) -> ReserveResult | None:
        group = _group(counters[0].key)
        future: asyncio.Future[ReserveResult | None] = asyncio.get_running_loop().create_future()
        waiting = self._waiting.get(group)
        if waiting is None:
            self._waiting[group] = [(counters, future)]
            self._start(self._send_reservations(group))
        else:
            waiting.append((counters, future))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            future.add_done_callback(lambda done: self._undo_abandoned(counters, done))
            raise

    def _undo_abandoned(self, counters: list[Counter], done: asyncio.Future[ReserveResult | None]) -> None:
        """A caller gave up while its reservation was in flight: give back what it got."""
        if done.cancelled() or done.exception() is not None:
            return
        result = done.result()
        if result is not None and result.blocked is None:
            self._start(self.adjust([(c.key, -c.amount) for c in counters]))

    async def _send_reservations(self, group: str) -> None:
        """Send what has gathered for a group, then whatever gathered meanwhile, until nothing waits."""
        while True:
            batch = self._waiting.get(group)
            if not batch:
                self._waiting.pop(group, None)
                return
            self._waiting[group] = []
            try:
                results = await self._run_reservations([counters for counters, _ in batch])
            except BaseException:
                for _, future in batch + self._waiting.pop(group, []):
                    if not future.done():
                        future.set_result(None)  # the callers fall back to this replica's counters
                raise
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _run_reservations(self, batch: list[list[Counter]]) -> list[ReserveResult | None]:
        keys = [c.key for counters in batch for c in counters]
        spec = " ".join(
            f"{len(counters)} " + " ".join(f"{c.limit} {c.amount} {c.ttl}" for c in counters)
            for counters in batch
        )

        async def run(client: Redis) -> list[int]:
            return await self._reserve(keys=keys, args=[spec], client=client)

        raw = await self.link.run(run, None)
        if raw is None:
            return [None] * len(batch)
        results: list[ReserveResult | None] = []
        at = 0
        for counters in batch:
            status, values = int(raw[at]), [int(v) for v in raw[at + 1 : at + 1 + len(counters)]]
            at += 1 + len(counters)
            blocked = status - 1 if status else None
            results.append(ReserveResult(blocked, [values[blocked]] if blocked is not None else values))
        return results

    async def adjust(self, deltas: list[tuple[str, int]]) -> None:
        changed = [(k, d) for k, d in deltas if d]
        if not changed:
            return
        group = _group(changed[0][0])
        pending = self._deltas.get(group)
        if pending is None:
            pending = self._deltas[group] = {}
            self._adjusted[group] = asyncio.get_running_loop().create_future()
            self._start(self._send_adjustments(group))
        for key, delta in changed:
            pending[key] = pending.get(key, 0) + delta
        await asyncio.shield(self._adjusted[group])

    async def _send_adjustments(self, group: str) -> None:
        """Sum the corrections that arrive in the same loop turn into one round trip."""
        await asyncio.sleep(0)
        deltas = self._deltas.pop(group, {})
        done = self._adjusted.pop(group)
        changed = [(k, d) for k, d in deltas.items() if d]
        try:
            if changed:

                async def run(client: Redis) -> int:
                    return await self._adjust(
                        keys=[k for k, _ in changed], args=[d for _, d in changed], client=client
                    )

                await self.link.run(run, None)
        finally:
            done.set_result(None)

    async def read(self, keys: list[str]) -> list[int] | None:
        if not keys:
            return []
        raw = await self.link.run(lambda r: r.mget(keys), None)
        if raw is None:
            return None
        return [int(v) if v is not None else 0 for v in raw]

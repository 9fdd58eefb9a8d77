"""Where keyed calls keep their answers: one record per (organization, idempotency key).

A record is ``{"fingerprint", "token", "response"}``. ``claim`` writes it without a response (the call
is in flight, held by ``token``) only if no record exists, atomically (Redis ``SET NX``), so of two
concurrent calls with one key exactly one reaches the provider. ``finish`` replaces it with the answer
for the replay window; ``release`` removes an in-flight record its holder gave up on (the call failed,
so a repeat may try again). An in-flight record expires by itself after ``hold`` seconds, so a process
that died holding a key never blocks it for longer than that.

Key: ``idem:{organization}:{key}``, each part percent-encoded (the key's ``:`` cannot fake a scope).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

from mcp_llm.state.redis_link import RedisLink
from mcp_shared.models import CompletionRequest, CompletionResponse

if TYPE_CHECKING:
    from redis.asyncio import Redis

KEY_PREFIX = "idem"

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
"""Delete the record only while it is still this holder's in-flight one (never a finished answer)."""


def record_key(organization: str, key: str) -> str:
    return f"{KEY_PREFIX}:{quote(organization, safe='')}:{quote(key, safe='')}"


def fingerprint(request: CompletionRequest) -> str:
    """SHA-256 of everything the caller asked for except the key itself and ``stream`` (a stream and a
    plain call of the same request are the same request: either may replay the other's answer)."""
    unset = {"compress"} if request.compress is None else set()  # requests from before compress existed
    body = request.model_dump(mode="json", exclude={"idempotency_key", "stream", *unset})
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Claimed:
    """This call holds the key: it runs, then ``finish`` or ``release`` with ``token``."""

    token: str


@dataclass(frozen=True, slots=True)
class Found:
    """Another call holds or held the key; ``response`` is None while it is still in flight."""

    fingerprint: str
    response: CompletionResponse | None


@dataclass(frozen=True, slots=True)
class Unavailable:
    """The store cannot be reached: the call runs unkeyed rather than not at all."""


Claim = Claimed | Found | Unavailable


class IdempotencyBackend(Protocol):
    name: str

    async def add(self, key: str, value: bytes, ttl: float) -> bool | None:
        """Write ``value`` only if ``key`` is absent; None when the backend is unreachable."""

    async def get(self, key: str) -> bytes | None: ...
    async def put(self, key: str, value: bytes, ttl: float) -> None: ...
    async def remove_if(self, key: str, value: bytes) -> None: ...


class MemoryIdempotency:
    """Process-local, bounded: the least recently used records go first past ``max_entries``."""

    name = "memory"

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def _live(self, key: str) -> bytes | None:
        found = self._entries.get(key)
        if found is None:
            return None
        if found[0] < time.monotonic():
            del self._entries[key]
            return None
        return found[1]

    async def add(self, key: str, value: bytes, ttl: float) -> bool | None:
        if self._live(key) is not None:
            return False
        await self.put(key, value, ttl)
        return True

    async def get(self, key: str) -> bytes | None:
        value = self._live(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        self._entries[key] = (time.monotonic() + ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def remove_if(self, key: str, value: bytes) -> None:
        if self._live(key) == value:
            del self._entries[key]


class RedisIdempotency:
    """Shared by every replica on REDIS_URL (the store that must not evict), so a repeat sent to another
    replica, or after a restart, still finds the answer."""

    name = "redis"

    def __init__(self, link: RedisLink) -> None:
        self.link = link

    async def add(self, key: str, value: bytes, ttl: float) -> bool | None:
        async def set_nx(client: Redis) -> bool:
            return bool(await client.set(key, value, nx=True, px=max(1, int(ttl * 1000))))

        return await self.link.run(set_nx, None)

    async def get(self, key: str) -> bytes | None:
        value = await self.link.run(lambda r: r.get(key), None)
        return value.encode() if isinstance(value, str) else value

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        await self.link.run(lambda r: r.set(key, value, px=max(1, int(ttl * 1000))), None)

    async def remove_if(self, key: str, value: bytes) -> None:
        await self.link.run(lambda r: r.eval(_RELEASE, 1, key, value), None)  # type: ignore[arg-type]


class IdempotencyStore:
    """Claims, finishes and releases keyed calls; ``ttl`` is the replay window, ``hold`` how long an
    in-flight claim lasts (and how long a concurrent repeat waits for it)."""

    def __init__(self, backend: IdempotencyBackend, ttl: int, hold: float) -> None:
        self.backend = backend
        self.ttl = ttl
        self.hold = hold

    async def claim(self, key: str, fingerprint: str) -> Claim:
        token = secrets.token_hex(8)
        added = await self.backend.add(key, _pending(fingerprint, token), self.hold)
        if added is None:
            return Unavailable()
        if added:
            return Claimed(token)
        raw = await self.backend.get(key)
        if raw is None:  # it expired or was released between the two steps: the caller asks again
            return Found(fingerprint, None)
        try:
            record = json.loads(raw)
            response = record.get("response")
            return Found(
                str(record["fingerprint"]),
                CompletionResponse.model_validate(response) if response is not None else None,
            )
        except (ValueError, KeyError, TypeError):
            return Found(fingerprint, None)  # written by an incompatible version: wait for it to expire

    async def finish(self, key: str, fingerprint: str, response: CompletionResponse) -> None:
        record = {"fingerprint": fingerprint, "response": response.model_dump(mode="json")}
        await self.backend.put(key, json.dumps(record).encode(), self.ttl)

    async def release(self, key: str, fingerprint: str, token: str) -> None:
        await self.backend.remove_if(key, _pending(fingerprint, token))


def _pending(fingerprint: str, token: str) -> bytes:
    return json.dumps({"fingerprint": fingerprint, "token": token, "response": None}).encode()

"""The response cache: canonical keys, the rules for when to cache, and two backends.

Key: ``llm:{provider}:{model}:{organization}:{sha256 of the canonical request}:{temperature}``.
The hash covers the messages and every output-affecting parameter (every field of
``GenerationParams``); ids, flags and routing fields are left out, so they never split the cache.
Each component is percent-encoded, so ``:`` in an Ollama tag or ``*`` in a name cannot collide
with the separators or the glob patterns used to invalidate by provider or model (with SCAN).
"""

from __future__ import annotations

import fnmatch
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

from mcp_llm.canonical import request_digest
from mcp_llm.state.redis_link import RedisLink
from mcp_shared.models import ChatMessage, CompletionResponse, GenerationParams

if TYPE_CHECKING:
    from redis.asyncio import Redis

KEY_PREFIX = "llm"


def _part(value: str) -> str:
    return quote(value, safe="")


def cache_key(
    organization: str,
    provider: str,
    model: str,
    messages: list[ChatMessage] | tuple[ChatMessage, ...],
    params: GenerationParams,
) -> str:
    return ":".join(
        (
            KEY_PREFIX,
            _part(provider),
            _part(model),
            _part(organization),
            request_digest(messages, params),
            f"{params.temperature:g}",
        )
    )


def invalidation_pattern(provider: str | None, model: str | None, organization: str | None) -> str:
    """The SCAN/fnmatch pattern selecting every entry of a provider, model and/or organization."""
    return ":".join(
        (
            KEY_PREFIX,
            _part(provider) if provider else "*",
            _part(model) if model else "*",
            _part(organization) if organization else "*",
            "*",
        )
    )


class CacheBackend(Protocol):
    name: str

    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, ttl: int) -> None: ...
    async def delete_matching(self, pattern: str) -> int: ...
    def healthy(self) -> bool: ...


class MemoryBackend:
    """Process-local LRU with per-entry expiry, for running without Redis."""

    name = "memory"

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    async def get(self, key: str) -> bytes | None:
        found = self._entries.get(key)
        if found is None:
            return None
        expires, value = found
        if expires < time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        self._entries[key] = (time.monotonic() + ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def delete_matching(self, pattern: str) -> int:
        doomed = [k for k in self._entries if fnmatch.fnmatchcase(k, pattern)]
        for key in doomed:
            del self._entries[key]
        return len(doomed)

    def healthy(self) -> bool:
        return True


class RedisBackend:
    """Redis with SETEX; invalidation walks keys with SCAN (never KEYS) and deletes in batches."""

    name = "redis"

    def __init__(self, link: RedisLink) -> None:
        self.link = link

    async def get(self, key: str) -> bytes | None:
        value = await self.link.run(lambda r: r.get(key), None)
        return value.encode() if isinstance(value, str) else value

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        await self.link.run(lambda r: r.set(key, value, ex=ttl), None)

    async def delete_matching(self, pattern: str) -> int:
        async def scan_and_delete(client: Redis) -> int:
            deleted = 0
            batch: list[bytes] = []
            async for key in client.scan_iter(match=pattern, count=500):
                batch.append(key)
                if len(batch) >= 500:
                    deleted += await client.unlink(*batch)
                    batch.clear()
            if batch:
                deleted += await client.unlink(*batch)
            return deleted

        return await self.link.run_strict(scan_and_delete)

    def healthy(self) -> bool:
        return self.link.healthy


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """When a response may be cached."""

    enabled: bool
    ttl: int
    max_temperature: float
    skip_providers: frozenset[str]

    def allows(self, provider: str, temperature: float, requested: bool) -> bool:
        return (
            self.enabled
            and requested
            and temperature <= self.max_temperature
            and provider not in self.skip_providers
        )


class ResponseCache:
    """Stores and finds completed responses under their canonical keys."""

    def __init__(self, backend: CacheBackend, policy: CachePolicy) -> None:
        self.backend = backend
        self.policy = policy

    async def get(self, key: str) -> CompletionResponse | None:
        raw = await self.backend.get(key)
        if raw is None:
            return None
        try:
            return CompletionResponse.model_validate_json(raw)
        except ValueError:
            return None  # an entry written by an incompatible version: treat as a miss

    async def put(self, key: str, response: CompletionResponse) -> None:
        await self.backend.set(key, response.model_dump_json().encode(), self.policy.ttl)

    async def invalidate(
        self, provider: str | None = None, model: str | None = None, organization: str | None = None
    ) -> int:
        return await self.backend.delete_matching(invalidation_pattern(provider, model, organization))

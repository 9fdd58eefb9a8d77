"""One shared Redis connection that never takes a request down with it.

Operations run with a short timeout. When Redis fails, the link remembers it and skips Redis for
``retry_interval`` seconds (callers get their fallback value at once, instead of each paying a
timeout); the next operation after that tries again, so the link heals by itself when Redis is back.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from mcp_shared.redaction import redact

if TYPE_CHECKING:
    import redis.asyncio as redis

logger = logging.getLogger(__name__)

T = TypeVar("T")


def redis_errors() -> tuple[type[BaseException], ...]:
    """What a Redis operation can raise, for ``except``: redis is imported only when a link is made
    (``REDIS_URL`` set), and until then nothing can raise its errors."""
    exceptions = sys.modules.get("redis.exceptions")
    if exceptions is None:
        return (OSError,)
    return (exceptions.RedisError, OSError)


class RedisLink:
    """A Redis client plus its health: ``healthy``, the last error and when it happened."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 0.5,
        retry_interval: float = 1.0,
        max_connections: int = 32,
        name: str = "redis",
    ) -> None:
        self.name = name
        """What this Redis is for, in log lines ("redis", "cache redis")."""
        import redis.asyncio as redis  # only a process configured with Redis pays for importing it

        # A bounded pool, opened ahead of bursts by ``warm``: a burst of calls then waits a moment for a
        # free connection instead of opening dozens at once, whose handshakes could outlast the timeout
        # on a busy event loop and make a healthy Redis look down.
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=max(2.0, 4 * timeout),
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            health_check_interval=30,
            retry_on_timeout=False,
        )
        self.max_connections = max_connections
        self.client: redis.Redis = redis.Redis(connection_pool=pool)
        self._retry_interval = retry_interval
        self._down_since: float | None = None
        self._skip_until = 0.0
        self.last_error: str | None = None
        self._errors = redis_errors()

    @property
    def healthy(self) -> bool:
        return self._down_since is None

    async def run(self, operation: Callable[[redis.Redis], Awaitable[T]], fallback: T) -> T:
        """Run ``operation``; on any Redis failure log it, mark the link down and return ``fallback``."""
        now = time.monotonic()
        if self._down_since is not None and now < self._skip_until:
            return fallback
        try:
            result = await operation(self.client)
        except self._errors as exc:
            self._mark_down(exc)
            return fallback
        if self._down_since is not None:
            logger.info("%s is reachable again after %.1f s", self.name, now - self._down_since)
            self._down_since = None
            self.last_error = None
        return result

    async def run_strict(self, operation: Callable[[redis.Redis], Awaitable[T]]) -> T:
        """Run ``operation`` and let failures propagate (for callers that must not guess)."""
        try:
            result = await operation(self.client)
        except self._errors as exc:
            self._mark_down(exc)
            raise
        self._down_since = None
        return result

    async def ping(self) -> bool:
        return bool(await self.run(lambda c: c.ping(), False))

    async def warm(self, connections: int | None = None) -> bool:
        """Open the pool's connections now (concurrent pings each take one), so bursts find them ready."""
        count = min(connections or self.max_connections, self.max_connections)
        results = await asyncio.gather(*(self.ping() for _ in range(count)))
        return all(results)

    def _mark_down(self, exc: BaseException) -> None:
        now = time.monotonic()
        self.last_error = redact(f"{type(exc).__name__}: {exc}")
        if self._down_since is None:
            self._down_since = now
            logger.warning("%s unavailable, continuing without it: %s", self.name, self.last_error)
        self._skip_until = now + self._retry_interval

    async def aclose(self) -> None:
        await self.client.aclose()

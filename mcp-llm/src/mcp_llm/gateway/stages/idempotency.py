"""Keyed calls (``idempotency_key``): a repeat within the window gets the first answer, unbilled.

Per organization: the same key from two organizations names two different calls. The first call with
a key claims it and runs the rest of the chain; its answer is kept for ``IDEMPOTENCY_TTL`` seconds.

- A repeat with the same request gets that answer back with ``replayed: true``; no provider is called,
  nothing is reserved, counted or billed (the usage, cost and request id are those of the original).
- The same key with a different request is an ``invalid_request`` naming ``idempotency_key`` (400).
- A repeat while the first call is still in flight waits for it (up to ``IDEMPOTENCY_WAIT`` seconds,
  then ``invalid_request`` 409 naming ``idempotency_key``) and gets its answer, so two concurrent calls
  pay for one. If the first call fails, nothing is kept: the waiting call (or a later retry) runs itself.
- Streaming: a replay streams the whole kept answer as one chunk; a stream and a plain call of the same
  request share a key. A stream cut part-way is a failure, so it is not kept.
- When the store is unreachable (Redis down), the call runs as if it had no key, rather than failing.
"""

from __future__ import annotations

import asyncio
import logging
import time

from mcp_llm.gateway.attempt import Attempt, Next
from mcp_llm.gateway.idempotency import Claimed, Found, IdempotencyStore, fingerprint, record_key
from mcp_shared.errors import InvalidRequestError
from mcp_shared.server.tools import StreamEvent

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.05
"""How often a repeat waiting for an in-flight call looks again."""


class Idempotency:
    """Answers a repeated key from the store, or runs the call and keeps its answer."""

    def __init__(self, store: IdempotencyStore) -> None:
        self.store = store

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        request = attempt.request
        if request.idempotency_key is None:
            await call_next(attempt)
            return
        key = record_key(attempt.organization, request.idempotency_key)
        wanted = fingerprint(request)
        give_up = time.monotonic() + self.store.hold
        while True:
            claim = await self.store.claim(key, wanted)
            if not isinstance(claim, Found):
                break
            if claim.fingerprint != wanted:
                raise InvalidRequestError(
                    "idempotency_key was already used with a different request; use a new key for a "
                    "new request",
                    details={"field": "idempotency_key"},
                )
            if claim.response is not None:
                await self._replay(attempt, claim)
                return
            if time.monotonic() >= give_up:
                raise InvalidRequestError(
                    f"a call with this idempotency_key is still in flight after {self.store.hold:g} s; "
                    "retry later",
                    status=409,
                    details={"field": "idempotency_key"},
                )
            await asyncio.sleep(POLL_SECONDS)
        if not isinstance(claim, Claimed):
            logger.warning("idempotency store unreachable: the keyed call runs unkeyed")
            await call_next(attempt)
            return
        try:
            await call_next(attempt)
        except BaseException:
            await asyncio.shield(self.store.release(key, wanted, claim.token))
            raise
        assert attempt.response is not None, "the chain answers or raises"
        await self.store.finish(key, wanted, attempt.response)

    async def _replay(self, attempt: Attempt, found: Found) -> None:
        kept = found.response
        assert kept is not None
        if attempt.sink is not None and kept.content:
            attempt.stream.started = True
            await attempt.sink(StreamEvent(text=kept.content))
        attempt.response = kept.model_copy(
            update={
                "replayed": True,
                "latency_ms": round((time.perf_counter() - attempt.started) * 1000, 3),
            }
        )

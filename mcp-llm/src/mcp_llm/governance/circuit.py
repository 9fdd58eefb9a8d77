"""Circuit breakers per provider and model, shared by every replica through Redis when it is set.

Closed: calls pass; consecutive failures (rate limits, 5xx, timeouts, after retries) are counted, and
``threshold`` of them open the circuit. Open: calls skip this model (a fallback chain moves on) until
``cooldown`` has passed. Half-open: exactly one call, across all replicas, is let through as a probe
(a Redis ``SET NX`` with a lease); its success closes the circuit, its failure opens it again.

Reads stay off the network: each replica keeps the shared state it last saw and refreshes it at most
every ``sync_interval`` seconds, or at once when it changes it itself. Writes happen on failures and
on state changes, never on the success of a closed circuit, so a healthy model costs nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from mcp_llm.governance.metrics import CIRCUIT_STATES, GovernanceMetrics
from mcp_llm.governance.recent import RecentMap
from mcp_llm.state.redis_link import RedisLink

if TYPE_CHECKING:
    from redis.asyncio import Redis

CircuitState = Literal["closed", "open", "half_open"]
Admission = Literal["pass", "probe", "open"]

# KEYS: state hash, probe lease. ARGV: now, threshold, cooldown, ttl. Returns {failures, open_until}.
# Opening (or re-opening after a failed probe) frees the probe lease for the next half-open period.
FAILURE_SCRIPT = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
local now = tonumber(ARGV[1])
if failures >= tonumber(ARGV[2]) and open_until <= now then
  open_until = now + tonumber(ARGV[3])
  redis.call('HSET', KEYS[1], 'open_until', tostring(open_until))
  redis.call('DEL', KEYS[2])
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return {failures, tostring(open_until)}
"""


@dataclass(slots=True)
class SharedState:
    """What every replica agrees on: consecutive failures and until when the circuit is open (epoch)."""

    failures: int = 0
    open_until: float = 0.0


class BreakerStore(Protocol):
    async def load(self, name: str) -> SharedState | None: ...
    async def failure(self, name: str, threshold: int, cooldown: float) -> SharedState | None: ...
    async def reset(self, name: str) -> None: ...
    async def claim_probe(self, name: str, lease: float) -> bool: ...


class MemoryBreakerStore:
    def __init__(self) -> None:
        self._states: RecentMap[str, SharedState] = RecentMap()
        self._probes: RecentMap[str, float] = RecentMap()

    async def load(self, name: str) -> SharedState:
        found = self._states.get(name)
        return SharedState(found.failures, found.open_until) if found else SharedState()

    async def failure(self, name: str, threshold: int, cooldown: float) -> SharedState:
        state = self._states.setdefault(name, SharedState())
        state.failures += 1
        now = time.time()
        if state.failures >= threshold and state.open_until <= now:
            state.open_until = now + cooldown
            self._probes.pop(name, None)
        return SharedState(state.failures, state.open_until)

    async def reset(self, name: str) -> None:
        self._states.pop(name, None)
        self._probes.pop(name, None)

    async def claim_probe(self, name: str, lease: float) -> bool:
        now = time.monotonic()
        if self._probes.get(name, 0.0) > now:
            return False
        self._probes[name] = now + lease
        return True


class RedisBreakerStore:
    def __init__(self, link: RedisLink, ttl: int = 86_400) -> None:
        self.link = link
        self._ttl = ttl
        self._failure = link.client.register_script(FAILURE_SCRIPT)

    @staticmethod
    def _key(name: str) -> str:
        return f"gov:circuit:{{{name}}}"

    async def load(self, name: str) -> SharedState | None:
        raw = await self.link.run(lambda r: r.hgetall(self._key(name)), None)
        if raw is None:
            return None
        values = {(k.decode() if isinstance(k, bytes) else k): v for k, v in raw.items()}
        return SharedState(int(values.get("failures", 0)), float(values.get("open_until", 0)))

    async def failure(self, name: str, threshold: int, cooldown: float) -> SharedState | None:
        async def run(client: Redis) -> list[bytes | int]:
            return await self._failure(
                keys=[self._key(name), self._key(name) + ":probe"],
                args=[time.time(), threshold, cooldown, self._ttl],
                client=client,
            )

        raw = await self.link.run(run, None)
        if raw is None:
            return None
        return SharedState(int(raw[0]), float(raw[1]))

    async def reset(self, name: str) -> None:
        await self.link.run(lambda r: r.delete(self._key(name), self._key(name) + ":probe"), None)

    async def claim_probe(self, name: str, lease: float) -> bool:
        claimed = await self.link.run(
            lambda r: r.set(self._key(name) + ":probe", "1", nx=True, px=max(1, int(lease * 1000))), None
        )
        return bool(claimed)


@dataclass(slots=True)
class _View:
    state: SharedState
    synced_at: float
    reported: CircuitState = "closed"


class CircuitBreakers:
    """Every circuit this replica has seen, with the shared store behind them."""

    def __init__(
        self,
        store: BreakerStore,
        metrics: GovernanceMetrics,
        threshold: int,
        cooldown: float,
        sync_interval: float = 1.0,
        fallback: MemoryBreakerStore | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.threshold = threshold
        self.cooldown = cooldown
        self.sync_interval = sync_interval
        self.probe_lease = max(cooldown, 5.0)
        self._fallback = fallback
        self._views: RecentMap[tuple[str, str], _View] = RecentMap()

    @staticmethod
    def _name(provider: str, model: str) -> str:
        return f"{provider}/{model}"

    async def _view(self, provider: str, model: str) -> _View:
        key = (provider, model)
        view = self._views.get(key)
        now = time.monotonic()
        if view is None or now - view.synced_at >= self.sync_interval:
            loaded = await self.store.load(self._name(provider, model))
            if loaded is None and self._fallback is not None:
                loaded = await self._fallback.load(self._name(provider, model))
            if view is None:
                view = self._views[key] = _View(loaded or SharedState(), now)
            else:
                view.state, view.synced_at = loaded or view.state, now
            self._publish(provider, model, view)
        return view

    def state_of(self, view: _View, now: float | None = None) -> CircuitState:
        now = now or time.time()
        if view.state.open_until <= 0:
            return "closed"
        return "open" if view.state.open_until > now else "half_open"

    async def admit(self, provider: str, model: str) -> Admission:
        """``pass`` (closed), ``probe`` (this call is the half-open probe) or ``open`` (skip this model)."""
        view = await self._view(provider, model)
        state = self.state_of(view)
        if state == "closed":
            return "pass"
        if state == "open":
            return "open"
        name = self._name(provider, model)
        if await self.store.claim_probe(name, self.probe_lease):
            return "probe"
        return "open"

    async def success(self, provider: str, model: str) -> None:
        view = self._views.get((provider, model))
        if view is None or (view.state.failures == 0 and view.state.open_until <= 0):
            return  # closed and clean: nothing to write
        await self.store.reset(self._name(provider, model))
        if self._fallback is not None:
            await self._fallback.reset(self._name(provider, model))
        view.state = SharedState()
        view.synced_at = time.monotonic()
        self._publish(provider, model, view)

    async def failure(self, provider: str, model: str) -> None:
        name = self._name(provider, model)
        state = await self.store.failure(name, self.threshold, self.cooldown)
        if state is None and self._fallback is not None:
            state = await self._fallback.failure(name, self.threshold, self.cooldown)
        view = self._views.get((provider, model))
        if view is None:
            view = self._views[(provider, model)] = _View(SharedState(), time.monotonic())
        if state is not None:
            view.state = state
            view.synced_at = time.monotonic()
        self._publish(provider, model, view)

    def _publish(self, provider: str, model: str, view: _View) -> None:
        state = self.state_of(view)
        self.metrics.circuit_state.labels(provider, model).set(CIRCUIT_STATES[state])
        if state != view.reported:
            self.metrics.circuit_transitions.labels(provider, model, state).inc()
            view.reported = state

    def local_states(self, provider: str) -> list[CircuitState]:
        """The states this replica last saw for a provider's models (no network)."""
        now = time.time()
        return [self.state_of(view, now) for (p, _), view in self._views.items() if p == provider]

    async def snapshot(self) -> dict[tuple[str, str], tuple[CircuitState, SharedState]]:
        """Every known circuit, refreshed from the shared store."""
        result = {}
        for provider, model in list(self._views):
            view = await self._view(provider, model)
            result[(provider, model)] = (self.state_of(view), view.state)
        return result

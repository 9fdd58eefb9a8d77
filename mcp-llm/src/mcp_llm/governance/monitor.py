"""Provider health as callers and operators see it: rolling figures, circuits and active probes.

``provider_health`` and ``/readyz`` report it; ``list_models``' ``healthy`` reads it. Optional active
probes (``HEALTH_PROBE_INTERVAL``) ask each configured provider for its model list, which costs no
tokens, so a provider that went down while idle is known before the next call finds out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator, Mapping
from functools import partial
from typing import Literal

from pydantic import BaseModel

from mcp_llm.governance.circuit import CircuitBreakers, CircuitState, SharedState
from mcp_llm.governance.health import RollingHealth
from mcp_llm.governance.metrics import GovernanceMetrics
from mcp_llm.governance.recent import RecentMap
from mcp_llm.governance.windows import iso
from mcp_llm.providers.registry import ProviderRegistry
from mcp_shared.errors import ServiceError

logger = logging.getLogger(__name__)

ProviderStatus = Literal["ok", "degraded", "down", "unknown", "not_configured"]
_PROBE_TIMEOUT = 10.0


class ProbeResult(BaseModel):
    ok: bool
    at: str
    latency_ms: float
    error: str | None = None


class ModelHealth(BaseModel):
    model: str
    circuit: Literal["closed", "open", "half_open"]
    consecutive_failures: int
    open_until: str | None
    calls: int
    errors: int
    error_rate: float | None
    p50_ms: float | None
    p95_ms: float | None
    last_error: str | None


class ProviderHealth(BaseModel):
    provider: str
    configured: bool
    status: ProviderStatus
    probe: ProbeResult | None = None
    models: list[ModelHealth]


class HealthReport(BaseModel):
    window_seconds: float
    providers: list[ProviderHealth]


class HealthMonitor:
    """Rolling figures per model, the circuit breakers, and the probe loop."""

    def __init__(
        self,
        providers: ProviderRegistry,
        breakers: CircuitBreakers,
        metrics: GovernanceMetrics,
        window: float,
        probe_interval: float = 0.0,
    ) -> None:
        self.providers = providers
        self.breakers = breakers
        self.metrics = metrics
        self.window = window
        self.probe_interval = probe_interval
        self._rolling: RecentMap[tuple[str, str], RollingHealth] = RecentMap()
        self._probes: dict[str, ProbeResult] = {}
        self._task: asyncio.Task[None] | None = None
        self.healthy = ProviderHealthMap(self)
        for key in providers.entries:
            if providers.is_configured(key):  # read at each scrape: always the current circuits and probes
                metrics.provider_up.labels(key).set_function(partial(self._up, key))

    def rolling(self, provider: str, model: str) -> RollingHealth:
        found = self._rolling.get((provider, model))
        if found is None:
            found = self._rolling[(provider, model)] = RollingHealth(self.window)
        return found

    def status(self, provider: str) -> ProviderStatus:
        """down: every model seen has an open circuit, or the last probe failed; degraded: some open."""
        if not self.providers.is_configured(provider):
            return "not_configured"
        probe = self._probes.get(provider)
        states = self.breakers.local_states(provider)
        if (probe is not None and not probe.ok) or (states and all(s == "open" for s in states)):
            return "down"
        if any(s != "closed" for s in states):
            return "degraded"
        if states or probe is not None or any(p == provider for p, _ in self._rolling):
            return "ok"
        return "unknown"

    def _up(self, provider: str) -> float:
        return 0.0 if self.status(provider) == "down" else 1.0

    async def report(self, provider: str | None = None) -> HealthReport:
        circuits = await self.breakers.snapshot()
        keys = [provider] if provider else list(self.providers.entries)
        result = []
        for key in keys:
            default: tuple[CircuitState, SharedState | None] = ("closed", None)
            models = sorted({m for p, m in circuits if p == key} | {m for p, m in self._rolling if p == key})
            entries = []
            for model in models:
                state, shared = circuits.get((key, model), default)
                figures = self.rolling(key, model).figures()
                entries.append(
                    ModelHealth(
                        model=model,
                        circuit=state,
                        consecutive_failures=shared.failures if shared else 0,
                        open_until=iso(shared.open_until) if shared and shared.open_until > 0 else None,
                        calls=figures.calls,
                        errors=figures.errors,
                        error_rate=figures.error_rate,
                        p50_ms=figures.p50_ms,
                        p95_ms=figures.p95_ms,
                        last_error=figures.last_error,
                    )
                )
            result.append(
                ProviderHealth(
                    provider=key,
                    configured=self.providers.is_configured(key),
                    status=self.status(key),
                    probe=self._probes.get(key),
                    models=entries,
                )
            )
        return HealthReport(window_seconds=self.window, providers=result)

    # -- active probes -------------------------------------------------------------------------

    async def probe(self, provider: str) -> ProbeResult:
        """Ask a provider for its model list (free); an answer means it is reachable and accepts our key."""
        started = time.perf_counter()
        try:
            adapter = self.providers.get(provider)
            async with asyncio.timeout(_PROBE_TIMEOUT):
                await adapter.list_live_models()
        except (ServiceError, TimeoutError) as exc:
            error = exc.message if isinstance(exc, ServiceError) else "timed out"
            result = ProbeResult(
                ok=False, at=iso(time.time()), latency_ms=(time.perf_counter() - started) * 1000, error=error
            )
        else:
            result = ProbeResult(
                ok=True, at=iso(time.time()), latency_ms=(time.perf_counter() - started) * 1000
            )
        self._probes[provider] = result
        return result

    async def start(self) -> None:
        if self.probe_interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._probe_loop(), name="provider-probes")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _probe_loop(self) -> None:
        while True:
            configured = [k for k in self.providers.entries if self.providers.is_configured(k)]
            try:
                await asyncio.gather(*(self.probe(k) for k in configured))
            except Exception:  # a probe bug must not stop the loop
                logger.exception("provider probe failed")
            await asyncio.sleep(self.probe_interval)


class ProviderHealthMap(Mapping[str, bool]):
    """``provider -> healthy`` for list_models and llm://providers; providers never seen are absent."""

    def __init__(self, monitor: HealthMonitor) -> None:
        self._monitor = monitor

    def __getitem__(self, provider: str) -> bool:
        status = self._monitor.status(provider)
        if status in ("unknown", "not_configured"):
            raise KeyError(provider)
        return status != "down"

    def __iter__(self) -> Iterator[str]:
        return iter(k for k in self._monitor.providers.entries if k in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, provider: object) -> bool:
        return isinstance(provider, str) and self._monitor.status(provider) not in (
            "unknown",
            "not_configured",
        )

"""Governance assembled from settings: Redis-backed when ``REDIS_URL`` is set, in-process otherwise."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from mcp_llm.catalog import Catalog
from mcp_llm.governance.circuit import CircuitBreakers, MemoryBreakerStore, RedisBreakerStore
from mcp_llm.governance.core import Governance
from mcp_llm.governance.fallback import FallbackPlanner
from mcp_llm.governance.ledger import USAGE, UsageLedger
from mcp_llm.governance.metrics import GovernanceMetrics
from mcp_llm.governance.monitor import HealthMonitor
from mcp_llm.governance.queue import QueueManager
from mcp_llm.governance.quota_store import MemoryQuotaStore, RedisQuotaStore
from mcp_llm.governance.quotas import QuotaManager, QuotaPolicy
from mcp_llm.providers.registry import ProviderRegistry
from mcp_llm.routing.labels import ModelLabels
from mcp_llm.routing.resolution import TargetResolver
from mcp_llm.settings import LLMSettings
from mcp_llm.settings.governance import QueueLimit
from mcp_llm.state.daily_counters import counter_store
from mcp_llm.state.redis_link import RedisLink
from mcp_shared.auth import KeyRing


def build_governance(
    settings: LLMSettings,
    *,
    redis: RedisLink | None,
    registry: CollectorRegistry,
    providers: ProviderRegistry,
    resolver: TargetResolver,
    catalog: Catalog,
    keys: KeyRing,
    models: ModelLabels,
) -> Governance:
    policy = QuotaPolicy(settings.quotas)
    metrics = GovernanceMetrics(
        registry, organizations=keys.organizations | policy.organizations, models=models
    )
    quotas = QuotaManager(
        policy,
        RedisQuotaStore(redis) if redis else MemoryQuotaStore(),
        metrics,
        fallback=MemoryQuotaStore() if redis else None,
    )
    ledger = UsageLedger(
        counter_store(USAGE, redis),
        retention_days=settings.usage_retention_days,
        flush_interval=settings.usage_flush_interval,
        on_write_failure=metrics.usage_write_failures.inc,
    )
    queues = QueueManager(
        QueueLimit(
            concurrency=settings.queue_concurrency,
            max_queue=settings.queue_max_depth,
            timeout=settings.queue_timeout,
        ),
        settings.queue_limits,
        metrics,
    )
    breakers = CircuitBreakers(
        RedisBreakerStore(redis) if redis else MemoryBreakerStore(),
        metrics,
        threshold=settings.circuit_failure_threshold,
        cooldown=settings.circuit_cooldown,
        fallback=MemoryBreakerStore() if redis else None,
    )
    monitor = HealthMonitor(
        providers,
        breakers,
        metrics,
        window=settings.health_window,
        probe_interval=settings.health_probe_interval,
    )
    return Governance(
        quotas=quotas,
        ledger=ledger,
        queues=queues,
        breakers=breakers,
        monitor=monitor,
        planner=FallbackPlanner(resolver, catalog, settings.fallbacks),
    )

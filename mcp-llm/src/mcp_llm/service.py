"""mcp-llm assembled: settings in, a service the transports can serve out."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import CollectorRegistry
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from mcp_llm import __version__
from mcp_llm.analysis.report import build_analysis_tools
from mcp_llm.catalog import Catalog
from mcp_llm.experiments.config import ExperimentsConfig, load_experiments
from mcp_llm.experiments.registry import Experiments
from mcp_llm.experiments.tools import build_experiment_tools
from mcp_llm.feedback.store import FeedbackStore, MemoryFeedback, RedisFeedback
from mcp_llm.feedback.tools import Feedback, build_feedback_tools, feedback_routes
from mcp_llm.gateway.cache import CachePolicy, MemoryBackend, RedisBackend, ResponseCache
from mcp_llm.gateway.chain import Parts
from mcp_llm.gateway.conversations import ConversationStore, MemoryConversations, RedisConversations
from mcp_llm.gateway.idempotency import IdempotencyStore, MemoryIdempotency, RedisIdempotency
from mcp_llm.gateway.metrics import GatewayMetrics
from mcp_llm.gateway.pipeline import Gateway
from mcp_llm.gateway.retry import RetryPolicy
from mcp_llm.gateway.stages.compress import CompressionConfig
from mcp_llm.governance.budget_alerts import BudgetAlerts
from mcp_llm.governance.build import build_governance
from mcp_llm.governance.tools import UsageAccess, build_governance_tools, usage_routes
from mcp_llm.openai_compat import openai_routes
from mcp_llm.pricing import PriceBook
from mcp_llm.providers.registry import PROVIDERS, ProviderEntry, ProviderRegistry
from mcp_llm.quality.signals import QualitySignals, build_quality_tools
from mcp_llm.resources import build_resources
from mcp_llm.routing.labels import KnownModels, ModelLabels, configured_models
from mcp_llm.routing.model_listing import ModelLister
from mcp_llm.routing.resolution import TargetResolver
from mcp_llm.settings import LLMSettings
from mcp_llm.state.redis_link import RedisLink
from mcp_llm.status_page import status_routes
from mcp_llm.tokens import TokenCounter
from mcp_llm.tools import build_tools
from mcp_shared.auth import HttpAuth, OrganizationPolicy
from mcp_shared.server.metrics import ToolMetrics
from mcp_shared.server.resources import ResourceRegistry
from mcp_shared.server.service import CheckResult
from mcp_shared.server.tools import ToolRegistry

PROTECTED_PREFIXES = ("/mcp", "/tools", "/usage", "/v1", "/feedback")
"""Routes that need a key when AUTH_ENABLED is on (``/metrics`` too with METRICS_AUTH)."""

INSTRUCTIONS = (
    "One interface to many LLM providers (openai, claude, gemini, llama/Ollama, grok, qwen, "
    "openai_compatible, and an offline mock). Call list_models to see what is configured, complete or "
    "stream_complete to generate, estimate_tokens to count, usage_report for usage and cost, "
    "provider_health for circuits and latency."
)


class LLMService:
    """The gateway service: its tools, resources, lifecycle and readiness."""

    name = "mcp-llm"
    version = __version__
    instructions = INSTRUCTIONS

    def __init__(self, settings: LLMSettings, providers: tuple[ProviderEntry, ...] = PROVIDERS) -> None:
        """``providers``: the registry's entries (every provider the gateway can reach)."""
        settings.register_secrets()
        self.settings = settings
        self.metrics_registry = CollectorRegistry()
        self.redis = _redis_link(settings, settings.redis_url, "redis")
        self.cache_redis = (
            _redis_link(settings, settings.cache_redis_url, "cache redis")
            if settings.cache_redis_url
            else self.redis
        )
        self.providers = ProviderRegistry(settings, providers)
        prices = PriceBook(self.providers.pricing_ids(), self.providers.free())
        self.catalog = Catalog(prices)
        self.lister = ModelLister(self.providers, self.catalog)
        bounds = (
            settings.conversation_ttl,
            settings.conversation_max_exchanges,
            settings.conversation_max_per_organization,
        )
        conversations: ConversationStore = (
            RedisConversations(self.redis, *bounds) if self.redis else MemoryConversations(*bounds)
        )
        cache = ResponseCache(
            RedisBackend(self.cache_redis) if self.cache_redis else MemoryBackend(settings.cache_max_entries),
            CachePolicy(
                enabled=settings.cache_enabled,
                ttl=settings.cache_ttl,
                max_temperature=settings.cache_max_temperature,
                skip_providers=frozenset(settings.cache_skip_providers),
            ),
        )
        tokens = self.tokens = TokenCounter()
        resolver = TargetResolver(self.providers, self.catalog)
        models = ModelLabels(
            KnownModels(self.catalog, self.lister, configured_models(settings, resolver)),
            max_unknown=settings.metrics_max_unknown_models,
        )
        self.auth = HttpAuth(settings, PROTECTED_PREFIXES, realm=self.name)
        self.keys = self.auth.keys
        organizations = _organization_policy(settings, self.keys.organizations)
        self.governance = build_governance(
            settings,
            redis=self.redis,
            registry=self.metrics_registry,
            providers=self.providers,
            resolver=resolver,
            catalog=self.catalog,
            keys=self.keys,
            models=models,
        )
        self.lister.health_of = self.governance.monitor.healthy
        self.experiments = Experiments(
            load_experiments(settings.experiments_file) if settings.experiments_file else ExperimentsConfig()
        )
        self.feedback_store: FeedbackStore = (
            RedisFeedback(self.redis, settings.feedback_ttl)
            if self.redis
            else MemoryFeedback(settings.feedback_max_requests)
        )
        feedback = Feedback(self.feedback_store, self.experiments.metrics, organizations)
        variants = frozenset(v.name for e in self.experiments.by_name.values() for v in e.variants)
        quality = QualitySignals(self.metrics_registry, models, variants)
        gateway_metrics = GatewayMetrics(self.metrics_registry, models)
        self.alerts = BudgetAlerts(
            self.governance.quotas,
            self.metrics_registry,
            thresholds=settings.budget_alert_thresholds,
            webhook_url=settings.alert_webhook_url,
            secret=settings.alert_webhook_secret,
            redis=self.redis,
        )
        self.gateway = Gateway(
            Parts(
                providers=self.providers,
                resolver=resolver,
                organizations=organizations,
                governance=self.governance,
                cache=cache,
                conversations=conversations,
                tokens=tokens,
                prices=prices,
                retry=RetryPolicy(
                    settings.retry_max_attempts,
                    settings.retry_initial_wait,
                    settings.retry_max_wait,
                    on_retry=gateway_metrics.count_retry,
                ),
                metrics=gateway_metrics,
                idempotency=IdempotencyStore(
                    RedisIdempotency(self.redis)
                    if self.redis
                    else MemoryIdempotency(settings.idempotency_max_entries),
                    ttl=settings.idempotency_ttl,
                    hold=settings.idempotency_wait,
                ),
                experiments=self.experiments,
                feedback=self.feedback_store,
                quality=quality,
                alerts=self.alerts,
                compression=CompressionConfig(
                    settings.compression_summary_model, settings.compression_summary_max_tokens
                ),
            )
        )
        access = UsageAccess(settings.auth_enabled, frozenset(settings.auth_admin_organizations))
        self.tools = ToolRegistry(
            [
                *build_tools(self.gateway, self.lister, tokens),
                *build_governance_tools(self.governance, self.providers, access),
                *build_experiment_tools(self.experiments),
                *build_feedback_tools(feedback),
                *build_quality_tools(quality),
                *build_analysis_tools(
                    self.experiments, self.feedback_store, frozenset(settings.auth_admin_organizations)
                ),
            ],
            ToolMetrics(self.metrics_registry, "mcp_llm"),
        )
        self._warming: asyncio.Task[Any] | None = None
        self.resources = ResourceRegistry(
            build_resources(self.providers, self.lister, conversations, organizations)
        )

    async def start(self) -> None:
        self.catalog.models("openai")  # build the catalog (price lookups) before the first call needs it
        self.providers.warm()
        # Load the tokenizer now, beside serving: its first use takes about a second of CPU, which would
        # stall every call in flight (and time out their Redis operations) if it happened under the first
        # burst, and would hold /healthz back by as much if it were awaited here.
        self._warming = asyncio.create_task(
            asyncio.to_thread(self.tokens.count_text, "openai", "gpt-5-mini", "warm up")
        )
        for link in self._redis_links():
            await link.warm()  # logs a warning now if Redis is down; requests work regardless
        await self.governance.ledger.start()
        await self.governance.monitor.start()

    async def stop(self) -> None:
        if self._warming is not None:
            await self._warming
        await self.alerts.stop()
        await self.governance.monitor.stop()
        await self.governance.drain()
        await self.governance.ledger.stop()  # writes what is still buffered
        await self.providers.aclose()
        for link in self._redis_links():
            await link.aclose()

    def _redis_links(self) -> list[RedisLink]:
        """Each Redis connection once (the cache may share the state's)."""
        return list({id(link): link for link in (self.redis, self.cache_redis) if link is not None}.values())

    async def readiness(self) -> list[CheckResult]:
        if self.cache_redis is None:
            cache = CheckResult("cache", "ok", essential=False, detail={"backend": "memory"})
        elif await self.cache_redis.ping():
            cache = CheckResult("cache", "ok", essential=False, detail={"backend": "redis"})
        else:
            cache = CheckResult(
                "cache",
                "degraded",
                essential=False,
                detail={
                    "backend": "redis",
                    "error": self.cache_redis.last_error,
                    "effect": "requests run uncached",
                },
            )
        configured = [k for k in self.providers.entries if self.providers.is_configured(k)]
        providers = CheckResult("providers", "ok", detail={"configured": configured})
        return [cache, providers, self._health_check(configured), self._governance_check()]

    def _health_check(self, configured: list[str]) -> CheckResult:
        """Provider health never makes the service unready: a down vendor is not a reason to stop serving."""
        monitor = self.governance.monitor
        statuses = {key: monitor.status(key) for key in configured}
        bad = any(s in ("down", "degraded") for s in statuses.values())
        return CheckResult("provider_health", "degraded" if bad else "ok", essential=False, detail=statuses)

    def _governance_check(self) -> CheckResult:
        detail: dict[str, object] = {
            "auth": "on" if self.settings.auth_enabled else "off",
            "quotas": "redis" if self.redis else "memory",
            "usage_pending_rows": self.governance.ledger.pending(),
        }
        if self.redis is not None and not self.redis.healthy:
            detail["effect"] = "quotas enforced per replica; usage buffered until Redis is back"
            return CheckResult("governance", "degraded", essential=False, detail=detail)
        return CheckResult("governance", "ok", essential=False, detail=detail)

    def http_routes(self) -> list[BaseRoute]:
        return [
            *openai_routes(self.gateway, self.lister, self.settings),
            *usage_routes(self.tools),
            *feedback_routes(self.tools, self.settings),
            *status_routes(self.tools, self.settings),
        ]

    def http_middleware(self) -> list[Middleware]:
        """Bearer-key authentication on the HTTP transports when AUTH_ENABLED is set."""
        return self.auth.middleware()


def _organization_policy(settings: LLMSettings, with_keys: frozenset[str]) -> OrganizationPolicy:
    """Service organizations must hold a key: a name with none is a typo that would silently do nothing."""
    if settings.auth_enabled:
        keyless = sorted(set(settings.auth_service_organizations) - with_keys)
        if keyless:
            raise ValueError(
                f"AUTH_SERVICE_ORGANIZATIONS names {', '.join(keyless)}, which has no key in API_KEYS"
            )
    return OrganizationPolicy(settings.auth_service_organizations)


def _redis_link(settings: LLMSettings, url: str | None, name: str) -> RedisLink | None:
    if not url:
        return None
    return RedisLink(
        url, timeout=settings.redis_timeout, retry_interval=settings.redis_retry_interval, name=name
    )

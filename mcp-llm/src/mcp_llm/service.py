"""mcp-llm assembled: settings in, a service the transports can serve out."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import CollectorRegistry
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from mcp_llm import __version__
from mcp_llm.analysis.report import build_analysis_tools
from mcp_llm.batch_jobs.billing import JobBilling
from mcp_llm.batch_jobs.jobs import BatchJobs
from mcp_llm.batch_jobs.store import JobStore, SqliteJobStore
from mcp_llm.batch_jobs.tools import build_batch_job_tools
from mcp_llm.catalog import Catalog
from mcp_llm.experiments.config import ExperimentsConfig, load_experiments
from mcp_llm.experiments.registry import Experiments, MemoryFreezes, RedisFreezes
from mcp_llm.experiments.tools import build_experiment_tools
from mcp_llm.feedback.store import FeedbackStore, MemoryFeedback, RedisFeedback
from mcp_llm.feedback.tools import Feedback, FeedbackArgs, build_feedback_tools, feedback_routes
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
from mcp_llm.governance.tools import build_governance_tools, usage_routes
from mcp_llm.openai_compat import openai_routes
from mcp_llm.pricing import PriceBook
from mcp_llm.providers.registry import PROVIDERS, ProviderEntry, ProviderRegistry
from mcp_llm.quality.judge import Judge, JudgeConfig, judge_range
from mcp_llm.quality.ledger import QUALITY, QualityLedger
from mcp_llm.quality.report import build_quality_tools, quality_routes
from mcp_llm.quality.signals import QualitySignals
from mcp_llm.reports import ReportAccess
from mcp_llm.resources import build_resources
from mcp_llm.routing.labels import KnownModels, ModelLabels, configured_models
from mcp_llm.routing.model_listing import ListedModels, ModelLister
from mcp_llm.routing.resolution import TargetResolver
from mcp_llm.settings import LLMSettings
from mcp_llm.side_calls import SideCalls
from mcp_llm.state.daily_counters import counter_store
from mcp_llm.state.redis_link import RedisLink
from mcp_llm.status_page import status_routes
from mcp_llm.tokens import TokenCounter
from mcp_llm.tools import build_tools
from mcp_shared.auth import HttpAuth, OrganizationPolicy
from mcp_shared.server.metrics import ToolMetrics
from mcp_shared.server.resources import ResourceRegistry
from mcp_shared.server.service import CheckResult
from mcp_shared.server.tools import CallContext, ToolRegistry

PROTECTED_PREFIXES = ("/mcp", "/tools", "/usage", "/v1", "/feedback", "/quality")
"""Routes that need a key when AUTH_ENABLED is on (``/metrics`` too with METRICS_AUTH)."""

INSTRUCTIONS = (
    "One interface to many LLM providers (openai, claude, gemini, llama/Ollama, grok, qwen, "
    "openai_compatible, and an offline mock). Call list_models to see what is configured, complete or "
    "stream_complete to generate, batch_complete for many at once, submit_batch and get_batch for "
    "work that can wait (vendor batch APIs at about half price), estimate_tokens to count, usage_report "
    "for usage and cost, provider_health for circuits and latency."
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
        listed = ListedModels()
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
            KnownModels(self.catalog, listed, configured_models(settings, resolver)),
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
        self.lister = ModelLister(
            self.providers, self.catalog, health_of=self.governance.monitor.healthy, listed=listed
        )
        self.experiments = Experiments(
            load_experiments(settings.experiments_file) if settings.experiments_file else ExperimentsConfig(),
            RedisFreezes(self.redis) if self.redis else MemoryFreezes(),
        )
        self.feedback_store: FeedbackStore = (
            RedisFeedback(self.redis, settings.feedback_ttl)
            if self.redis
            else MemoryFeedback(settings.feedback_max_requests)
        )
        feedback = Feedback(
            self.feedback_store, self.experiments.metrics, organizations, self.metrics_registry
        )
        variants = frozenset(v.name for e in self.experiments.by_name.values() for v in e.variants)
        self.quality_ledger = QualityLedger(
            counter_store(QUALITY, self.redis),
            retention_days=settings.usage_retention_days,
            flush_interval=settings.quality_flush_interval,
        )
        quality = QualitySignals(self.metrics_registry, models, variants, self.quality_ledger)
        side_calls = SideCalls()
        self.judge = _judge(settings, feedback, quality, side_calls, self.metrics_registry)
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
                judge=self.judge,
                compression=CompressionConfig(
                    settings.compression_summary_model, settings.compression_summary_max_tokens
                ),
                side_calls=side_calls,
            )
        )
        job_store: JobStore = SqliteJobStore(settings.batch_store_path)
        if self.redis:
            from mcp_llm.batch_jobs.redis_store import RedisJobStore  # redis only when configured

            job_store = RedisJobStore(self.redis)
        billing = JobBilling(prices, tokens, self.governance.ledger, self.governance.quotas, self.alerts)
        self.batch_jobs = BatchJobs(settings, job_store, self.gateway, prices, billing)
        access = ReportAccess(settings.auth_enabled, frozenset(settings.auth_admin_organizations))
        self.tools = ToolRegistry(
            [
                *build_tools(self.gateway, self.lister, tokens),
                *build_batch_job_tools(self.batch_jobs),
                *build_governance_tools(self.governance, self.providers, access),
                *build_experiment_tools(self.experiments),
                *build_feedback_tools(feedback),
                *build_quality_tools(self.quality_ledger, access),
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
        # Import the configured providers' SDKs now, beside serving, in a thread: that takes up to a second
        # of CPU, which would hold /healthz back by as much if awaited here, and would stall every call in
        # flight (and time out their Redis operations) if it happened under the first burst. The same goes
        # for the price snapshot and the catalog built from it (about a quarter of a second), and for the
        # tokenizer (about a second and 80 MiB), loaded here only when token or dollar quotas make every
        # call count its prompt; otherwise on the first call that needs a count.
        self._warming = asyncio.create_task(asyncio.to_thread(self._warm))
        for link in self._redis_links():
            await link.warm()  # logs a warning now if Redis is down; requests work regardless
        await self.governance.ledger.start()
        await self.governance.monitor.start()
        await self.batch_jobs.start()
        await self.quality_ledger.start()
        if self.judge is not None:
            await self.judge.start()

    def _warm(self) -> None:
        self.catalog.models("openai")  # the catalog is built once, here, unless a call needed it first
        self.providers.warm()
        if self.governance.quotas.counts_tokens():
            self.tokens.count_text("openai", "gpt-5-mini", "warm up")

    async def stop(self) -> None:
        if self._warming is not None:
            await self._warming
        await self.batch_jobs.stop()
        await self.alerts.stop()
        if self.judge is not None:
            await self.judge.stop()
        await self.quality_ledger.stop()
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
            *quality_routes(self.tools),
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


def _judge(
    settings: LLMSettings,
    feedback: Feedback,
    quality: QualitySignals,
    side_calls: SideCalls,
    registry: CollectorRegistry,
) -> Judge | None:
    """The judge when ``JUDGE_MODEL`` is set; ``JUDGE_METRIC`` must name a declared, scored metric."""
    if not settings.judge_model:
        return None
    metric = None
    if settings.judge_metric:
        metric = feedback.metrics.get(settings.judge_metric)
        if metric is None or metric.type == "comment":
            raise ValueError(
                f"JUDGE_METRIC names '{settings.judge_metric}', which is not a declared boolean or number "
                "metric of EXPERIMENTS_FILE"
            )
    low, high = judge_range(metric)
    config = JudgeConfig(
        provider=settings.judge_provider,
        model=settings.judge_model,
        sample_rate=settings.judge_sample_rate,
        rubric=settings.judge_rubric,
        queue_size=settings.judge_queue_size,
        organization=settings.judge_organization,
        low=low,
        high=high,
    )
    scored = metric

    async def record(organization: str, request_id: str, score: float) -> None:
        assert scored is not None
        value: bool | float = score >= 0.5 if scored.type == "boolean" else score
        args = FeedbackArgs(
            request_id=request_id, metric=scored.name, value=value, organization_id=organization
        )
        await feedback.record(args, CallContext(transport="stdio"), source="judge")

    return Judge(config, quality, side_calls, registry, record if metric is not None else None)


def _redis_link(settings: LLMSettings, url: str | None, name: str) -> RedisLink | None:
    if not url:
        return None
    return RedisLink(
        url, timeout=settings.redis_timeout, retry_interval=settings.redis_retry_interval, name=name
    )

"""mcp-debate assembled: settings in, a service the transports can serve out."""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Gauge
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from mcp_debate import __version__
from mcp_debate.evaluation.jobs import Evaluations
from mcp_debate.evaluation.tools import build_evaluation_tools, services_for
from mcp_debate.http_routes import mirror_routes
from mcp_debate.llm import LLMServiceClient
from mcp_debate.llm.client import RetryPolicy
from mcp_debate.metrics import DebateMetrics
from mcp_debate.orchestrator import Orchestrator
from mcp_debate.resources import build_resources
from mcp_debate.settings import DebateSettings
from mcp_debate.store import make_database
from mcp_debate.tools import build_tools
from mcp_debate.watching.overview import Overview
from mcp_debate.watching.streams import DebateStreams
from mcp_debate.watching.subscriptions import DebateSubscriptions
from mcp_debate.web.app_view import app_resource, with_app
from mcp_debate.web.pages import WebPages
from mcp_debate.web.sessions import SessionCookieMiddleware, SessionTokens
from mcp_shared.auth import HttpAuth
from mcp_shared.errors import ServiceError
from mcp_shared.server.metrics import ToolMetrics
from mcp_shared.server.resources import ResourceRegistry
from mcp_shared.server.service import CheckResult
from mcp_shared.server.tools import ToolRegistry

logger = logging.getLogger(__name__)

PROTECTED_PREFIXES = ("/mcp", "/tools", "/debates")
"""Routes that need a key when AUTH_ENABLED is on (``/metrics`` too with METRICS_AUTH)."""

INSTRUCTIONS = (
    "Debates between LLM participants, each on its own provider and model through mcp-llm. "
    "deliberate asks a panel a question and returns its verdict, votes, dissent and cost in one call. "
    "Or create_debate (protocol rounds, vote or judged; roles debater, judge, moderator), then "
    "get_next_turn (one turn) or run_debate (to the end or N turns, each turn reported as progress); "
    "pause_debate / resume_debate / cancel_debate; summarize_debate; export_debate (markdown, json, html, "
    "text). State lives in resources: debates://list, debates://{id}, debates://{id}/messages, "
    "debates://{id}/participants, debates://{id}/context. evaluate runs methods (single, self-consistency, "
    "vote, judged, rounds) over a dataset and reports accuracy beside tokens; with wait false, follow it "
    "with get_evaluation and stop it with cancel_evaluation."
)


class DebateService:
    """The debate service: its tools, resources, lifecycle and readiness."""

    name = "mcp-debate"
    version = __version__
    instructions = INSTRUCTIONS
    mcp_sessions = True
    """Handshake-era HTTP clients get a session: it keeps their resource subscriptions and what they
    negotiated (MCP Apps). 2026-era clients are served statelessly either way."""

    def __init__(self, settings: DebateSettings) -> None:
        settings.register_secrets()
        self.settings = settings
        self.auth = HttpAuth(settings, PROTECTED_PREFIXES, realm=self.name)
        self.sessions = SessionTokens(ttl=settings.web_session_ttl)
        self.metrics_registry = CollectorRegistry()
        self.db = make_database(
            settings.database_url.get_secret_value() if settings.database_url else None,
            settings.database_path,
            readers=settings.database_readers,
        )
        self.llm = LLMServiceClient(
            settings.llm_mcp_url,
            max_connections=settings.llm_max_connections,
            call_timeout=settings.llm_call_timeout,
            api_key=settings.llm_service_api_key.get_secret_value() if settings.llm_service_api_key else None,
            retry=RetryPolicy(
                settings.llm_retry_attempts, settings.llm_retry_initial_wait, settings.llm_retry_max_wait
            ),
        )
        metrics = DebateMetrics(self.metrics_registry)
        Gauge(
            "debate_llm_retries", "Retries of mcp-llm calls since start.", registry=self.metrics_registry
        ).set_function(lambda: self.llm.retries)
        self.orchestrator = Orchestrator(
            self.db,
            self.llm,
            metrics,
            margin=settings.context_margin,
            verify_ratio=settings.context_verify_ratio,
            run_retry_window=settings.run_retry_window,
            deliberate_wait=settings.deliberate_max_wait,
            lease_duration=settings.lease_duration,
            lease_heartbeat=settings.lease_heartbeat,
        )
        debate_tools = build_tools(self.orchestrator)
        self.evaluations = Evaluations(
            settings.evaluation_dir,
            services_for(self.llm, debate_tools),
            max_running=settings.evaluation_max_running,
            max_items=settings.evaluation_max_items,
            keep=settings.evaluation_keep,
        )
        self.tools = ToolRegistry(
            with_app([*debate_tools, *build_evaluation_tools(self.evaluations)], self.orchestrator),
            ToolMetrics(self.metrics_registry, "mcp_debate"),
        )
        self.resources = ResourceRegistry([*build_resources(self.orchestrator), app_resource()])
        self.subscriptions = DebateSubscriptions(self.orchestrator, self.resources)

    async def start(self) -> None:
        await self.db.open()
        if self.settings.resume_runs_on_start:
            if self.db.dialect == "sqlite":
                # Embedded: the runs under way and their leases were this service's before it stopped
                # (a second process sharing the file may run a turn in flight twice, as before leases).
                await self.orchestrator.leases.clear()
                await self.orchestrator.runner.resume_all()
            else:  # shared: runs other replicas drive stay theirs; only runs nobody drives are taken
                await self.orchestrator.sweeper.sweep()
            self.orchestrator.sweeper.start()

    async def stop(self) -> None:
        self.subscriptions.close()
        await self.evaluations.aclose()
        await self.orchestrator.aclose()
        await self.llm.aclose()
        await self.db.close()

    async def readiness(self) -> list[CheckResult]:
        checks = []
        try:
            await self.llm.ping()
            checks.append(CheckResult("llm_service", "ok", detail={"url": self.llm.url}))
        except (ServiceError, TimeoutError) as exc:
            reason = exc.message if isinstance(exc, ServiceError) else "no answer in time"
            checks.append(CheckResult("llm_service", "down", detail={"url": self.llm.url, "error": reason}))
        try:
            await self.db.probe_write()
            checks.append(CheckResult("database", "ok", detail=self.db.where()))
        except Exception as exc:
            logger.warning("database is not writable: %s", exc)
            checks.append(
                CheckResult("database", "down", detail={**self.db.where(), "error": type(exc).__name__})
            )
        return checks

    def http_routes(self) -> list[BaseRoute]:
        overview = Overview(self.orchestrator.queries)
        pages = WebPages(self.orchestrator, overview, self.auth.keys, self.auth.enabled, self.sessions)
        # The event streams come first: /debates/events must not be taken for a debate id.
        return [
            *DebateStreams(self.orchestrator, overview).routes(),
            *mirror_routes(self.orchestrator),
            *pages.routes(),
        ]

    def http_middleware(self) -> list[Middleware]:
        """With AUTH_ENABLED: the web page's session cookie, then bearer keys, on the HTTP transports."""
        if not self.auth.enabled:
            return []
        return [Middleware(SessionCookieMiddleware, tokens=self.sessions), *self.auth.middleware()]

"""The web page at ``/``: the debate list and a form to start one, the live view of one debate at
``/watch/{id}``, sign-in and sign-out, and the page's own assets under ``/static`` (no CDN).

Pages are rendered here with Jinja2 (everything escaped); a small script then follows the event
streams (:mod:`mcp_debate.watching.streams`) and calls the plain HTTP tools. With keys on, a page
asked for without a session answers 401 with the sign-in form.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from mcp_debate.access import caller_organization
from mcp_debate.llm import CallScope
from mcp_debate.orchestrator import Orchestrator
from mcp_debate.tools import DebateRef
from mcp_debate.watching.overview import Overview
from mcp_debate.web.sessions import COOKIE, SessionTokens
from mcp_shared.auth import ORGANIZATION_SCOPE_KEY, KeyRing
from mcp_shared.errors import ServiceError
from mcp_shared.server.http_app import error_response, read_body

logger = logging.getLogger(__name__)

LOGIN_BODY_LIMIT = 4096
CATALOG_WAIT = 3.0
"""Seconds the start form waits for mcp-llm's model list before offering free-text fields."""
DEFAULT_PARTICIPANTS = [
    {"name": "Pro", "provider": "mock", "model": "mock-1", "stance": "for the motion"},
    {"name": "Con", "provider": "mock", "model": "mock-1", "stance": "against the motion"},
]

templates = Environment(
    loader=PackageLoader("mcp_debate.web", "templates"),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
)


def json_for_script(data: Any) -> Markup:
    """JSON to embed in a ``<script type="application/json">``: no ``<``, ``>`` or ``&`` can close it."""
    text = json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - escaped above for a script element's raw text


@dataclass(slots=True)
class WebPages:
    orc: Orchestrator
    overview: Overview
    keys: KeyRing
    auth_enabled: bool
    tokens: SessionTokens

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.index, methods=["GET"]),
            Route("/watch/{id}", self.watch, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Mount("/static", StaticFiles(packages=[("mcp_debate.web", "static")]), name="static"),
        ]

    # -- pages -------------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        organization = self._signed_in(request)
        if organization is None:
            return self._login_page(request, next_path="/")
        rows, total = await self.overview.rows(organization)
        providers, models, models_error = await self._catalog()
        return self._render(
            request,
            "index.html",
            organization,
            rows=rows,
            total=total,
            providers=providers,
            models=models,
            models_error=models_error,
            default_participants=DEFAULT_PARTICIPANTS,
        )

    async def watch(self, request: Request) -> Response:
        organization = self._signed_in(request)
        if organization is None:
            return self._login_page(request, next_path=request.url.path)
        try:
            debate_id = DebateRef.model_validate({"debate_id": request.path_params["id"]}).debate_id
            await self.orc.check_access(debate_id, organization)
            view = await self.orc.queries.debate(debate_id)
            page = await self.orc.queries.messages(debate_id)
        except (ServiceError, ValidationError) as exc:
            if isinstance(exc, ValidationError):
                return HTMLResponse("<h1>Not a debate id</h1>", status_code=422)
            return error_response(exc)
        messages = page.messages
        return self._render(
            request,
            "debate.html",
            organization,
            debate=view,
            messages=messages,
            last_seq=messages[-1].seq if messages else 0,
            debate_json=json_for_script(view.model_dump(mode="json")),
        )

    # -- sign-in -----------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        form = parse_qs((await read_body(request, LOGIN_BODY_LIMIT)).decode("utf-8", "replace"))
        key = (form.get("key") or [""])[0].strip()
        next_path = _local_path((form.get("next") or ["/"])[0])
        organization = self.keys.organization_of(key) if key else None
        if not self.auth_enabled:
            return RedirectResponse(next_path, status_code=303)
        if organization is None:
            logger.warning(
                "rejected a sign-in", extra={"reason": "missing key" if not key else "unknown key"}
            )
            reason = "Enter an API key." if not key else "That API key is not known to this service."
            return self._login_page(request, next_path=next_path, error=reason)
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(
            COOKIE,
            self.tokens.issue(organization),
            max_age=int(self.tokens.ttl),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    async def logout(self, request: Request) -> Response:
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    # -- helpers -----------------------------------------------------------------------------

    def _signed_in(self, request: Request) -> str | None:
        """The caller's organization; None when keys are on and the caller has no valid session."""
        authenticated = request.scope.get(ORGANIZATION_SCOPE_KEY)
        if self.auth_enabled and not authenticated:
            return None
        return caller_organization(authenticated)

    def _login_page(self, request: Request, next_path: str, error: str | None = None) -> Response:
        return self._render(
            request,
            "login.html",
            None,
            status=401,
            error=error,
            next=_local_path(next_path),
            ttl_hours=round(self.tokens.ttl / 3600, 1),
        )

    def _render(
        self, request: Request, name: str, organization: str | None, status: int = 200, **context: Any
    ) -> Response:
        html = templates.get_template(name).render(
            organization=organization,
            signed_in=organization is not None,
            auth_enabled=self.auth_enabled,
            **context,
        )
        headers = {
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'self'; style-src 'self'; script-src 'self'; "
            "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        }
        return HTMLResponse(html, status_code=status, headers=headers)

    async def _catalog(self) -> tuple[list[str], list[dict[str, Any]], str | None]:
        """Providers and models from mcp-llm's live ``list_models`` (configured providers only)."""
        try:
            async with asyncio.timeout(CATALOG_WAIT):
                listed = await self.orc.llm.list_models(None, CallScope(purpose="model list"))
        except ServiceError as exc:
            return ["mock"], [], exc.message
        except TimeoutError:
            return ["mock"], [], f"mcp-llm did not answer within {CATALOG_WAIT:.0f} s"
        models = [m for m in listed.get("models", []) if m.get("configured", True)]
        providers = sorted({str(m["provider"]) for m in models}) or ["mock"]
        return providers, models, None


def _local_path(path: str) -> str:
    """Only a path on this service may follow sign-in (no open redirect to another site)."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"

"""Bearer-key authentication for a service's HTTP transports, as plain ASGI middleware.

It guards the path prefixes a service names (``/mcp``, ``/tools`` and the service's own routes): a
missing or unknown key is a 401 with the contract's structured error, before any handler runs. A known
key's organization goes into the ASGI scope, where the MCP handlers and the HTTP routes read it.
Anything outside the prefixes (health, readiness, and metrics unless ``METRICS_AUTH`` is on) stays
open for probes and scrapers. stdio never passes here: a process that launched the server is trusted.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_shared.auth.keys import KeyRing
from mcp_shared.errors import ErrorType, ServiceError

logger = logging.getLogger(__name__)

ORGANIZATION_SCOPE_KEY = "mcp_shared.organization_id"
"""ASGI scope key where the middleware puts the caller's organization (read by MCP handlers and routes)."""


class CallerAuthenticationError(ServiceError):
    """The caller presented no API key, or one this server does not know."""

    error_type = ErrorType.AUTHENTICATION
    default_status = 401


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer":
                return None
            return token.strip() or None
    return None


class AuthMiddleware:
    """Rejects unauthenticated calls to the protected prefixes; tags the rest with their organization."""

    def __init__(self, app: ASGIApp, keys: KeyRing, protected: tuple[str, ...], realm: str) -> None:
        self.app = app
        self.keys = keys
        self.protected = protected
        self.challenge = f'Bearer realm="{realm}"'.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.protected):
            await self.app(scope, receive, send)
            return
        if scope.get(ORGANIZATION_SCOPE_KEY):  # a service's own sign-in (a page's cookie) already did
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        organization = self.keys.organization_of(token) if token else None
        if organization is None:
            reason = "missing API key" if token is None else "unknown API key"
            logger.warning("rejected unauthenticated call", extra={"path": scope["path"], "reason": reason})
            hint = f"{reason}: send 'Authorization: Bearer <key>'"
            await self._reject(send, CallerAuthenticationError(hint))
            return
        scope[ORGANIZATION_SCOPE_KEY] = organization
        await self.app(scope, receive, send)

    async def _reject(self, send: Send, exc: ServiceError) -> None:
        body = json.dumps(exc.to_payload()).encode()
        headers: list[tuple[bytes, Any]] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", self.challenge),
        ]
        await send({"type": "http.response.start", "status": exc.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

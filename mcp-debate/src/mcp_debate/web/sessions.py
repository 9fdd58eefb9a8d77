"""Browser sign-in for the web page: an API key exchanged once for a signed, short-lived cookie.

A browser cannot put a bearer key on a page load or on an ``EventSource``, and a key must never sit in
a URL or a log line. So ``POST /login`` takes the key in a form body, checks it against the same key
ring as the API, and sets ``mcp_debate_session``: the organization and an expiry, signed with HMAC-SHA256
under a secret made at start-up (a restart signs everyone out). The cookie is ``HttpOnly`` (scripts cannot
read it) and ``SameSite=Strict`` (other sites cannot make the browser send it); on top of that a
cookie-authenticated request that changes something must come from this service's own origin.

:class:`SessionCookieMiddleware` runs before the bearer-key middleware: a valid cookie on one of the
page's paths authenticates the request as its organization; everything else (bearer keys, ``/mcp``,
which never takes the cookie) is left to the bearer-key middleware.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_shared.auth import ORGANIZATION_SCOPE_KEY

COOKIE = "mcp_debate_session"
COOKIE_PATHS = ("/tools", "/debates", "/watch", "/logout")
"""Where the cookie stands in for a key (the page itself, at ``/``, reads it too)."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class SessionTokens:
    """Signs and checks session tokens: ``<organization>.<expiry>.<signature>``, URL-safe base64."""

    ttl: float
    secret: bytes = b""

    def __post_init__(self) -> None:
        if not self.secret:
            object.__setattr__(self, "secret", secrets.token_bytes(32))

    def issue(self, organization: str, now: float | None = None) -> str:
        expires = int((now or time.time()) + self.ttl)
        body = f"{_b64(organization.encode())}.{expires}"
        return f"{body}.{self._sign(body)}"

    def organization(self, token: str, now: float | None = None) -> str | None:
        """The token's organization, or None when it is forged, malformed or expired."""
        body, _, signature = token.rpartition(".")
        if not body or not hmac.compare_digest(signature, self._sign(body)):
            return None
        encoded, _, expires = body.partition(".")
        if not expires.isdigit() or int(expires) < (now or time.time()):
            return None
        try:
            return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            return None

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self.secret, body.encode(), hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cookie_value(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is no session
                return None
            morsel = jar.get(COOKIE)
            return morsel.value if morsel else None
    return None


def same_origin(scope: Scope) -> bool:
    """Whether a request says it comes from a page of this service (its Origin, else its Referer)."""
    wanted = (b"origin", b"referer", b"host")
    headers = {k.decode(): v.decode("latin-1") for k, v in scope.get("headers", ()) if k in wanted}
    source = headers.get("origin") or headers.get("referer")
    host = headers.get("host")
    if not source or not host:
        return False
    _, _, rest = source.partition("://")
    return rest.split("/", 1)[0] == host


class SessionCookieMiddleware:
    """Authenticates page requests carrying a valid session cookie (see the module docstring)."""

    def __init__(self, app: ASGIApp, tokens: SessionTokens) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _takes_cookie(scope["path"]):
            token = cookie_value(scope)
            organization = self.tokens.organization(token) if token else None
            writes = scope.get("method", "GET") not in SAFE_METHODS
            if organization is not None and not (writes and not same_origin(scope)):
                scope[ORGANIZATION_SCOPE_KEY] = organization
        await self.app(scope, receive, send)


def _takes_cookie(path: str) -> bool:
    return path == "/" or path.startswith(COOKIE_PATHS)

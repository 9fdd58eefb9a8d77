"""A service's authentication assembled from its settings: its key ring and the middleware enforcing it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.middleware import Middleware

from mcp_shared.auth.keys import KeyRing
from mcp_shared.auth.middleware import AuthMiddleware

if TYPE_CHECKING:  # settings validate API_KEYS with this package: a runtime import would be a cycle
    from mcp_shared.settings import ServiceSettings

METRICS_PATH = "/metrics"


class HttpAuth:
    """``AUTH_ENABLED``, ``API_KEYS`` and ``METRICS_AUTH`` applied to one service's protected prefixes."""

    def __init__(self, settings: ServiceSettings, prefixes: tuple[str, ...], realm: str) -> None:
        self.enabled = settings.auth_enabled
        self.keys = KeyRing(settings.api_keys)
        self.protected = (*prefixes, METRICS_PATH) if settings.metrics_auth else prefixes
        self.realm = realm

    def middleware(self) -> list[Middleware]:
        """The authentication middleware, or none when authentication is off."""
        if not self.enabled:
            return []
        return [Middleware(AuthMiddleware, keys=self.keys, protected=self.protected, realm=self.realm)]

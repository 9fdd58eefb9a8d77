"""Which organization a call acts for: the one place that answers it for both services.

The organization is what a call is billed to (quotas, usage, cache scope, conversations) and what owns
what it creates (debates). An authenticated key's organization always wins; only keys of the
operator-listed service organizations (a service calling on behalf of its own callers, as mcp-debate
does for each debate's organization) may name another one. Trusted callers (stdio, authentication off)
may name any organization; naming none means ``default``.
"""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_ORGANIZATION = "default"


class OrganizationPolicy:
    """Resolves the organization a call acts for from who it is and what it asks for."""

    def __init__(self, service_organizations: Iterable[str] = ()) -> None:
        self.service_organizations = frozenset(service_organizations)

    def may_act_for_others(self, authenticated: str | None) -> bool:
        """Trusted callers (no authenticated organization) and service organizations may."""
        return authenticated is None or authenticated in self.service_organizations

    def acting_for(self, authenticated: str | None, requested: str | None = None) -> str:
        """The requested organization when the caller may act for others, else the caller's own."""
        if self.may_act_for_others(authenticated):
            return requested or authenticated or DEFAULT_ORGANIZATION
        return authenticated or DEFAULT_ORGANIZATION

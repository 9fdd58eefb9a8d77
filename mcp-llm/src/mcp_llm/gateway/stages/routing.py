"""Whom the call is billed to, which target it names, and which hops it may try."""

from __future__ import annotations

from mcp_llm.gateway.attempt import Attempt, Next, PromptTokens
from mcp_llm.governance.fallback import FallbackPlanner
from mcp_llm.routing.resolution import TargetResolver
from mcp_llm.tokens import TokenCounter
from mcp_shared.auth import OrganizationPolicy


class Route:
    """Resolves the organization (the key's, unless it may act for the one asked for), the primary
    target and the fallback chain; a name nobody serves is an ``invalid_request`` naming the field."""

    def __init__(
        self,
        resolver: TargetResolver,
        planner: FallbackPlanner,
        organizations: OrganizationPolicy,
        tokens: TokenCounter,
    ) -> None:
        self.resolver = resolver
        self.planner = planner
        self.organizations = organizations
        self.tokens = tokens

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        request = attempt.request
        attempt.organization = self.organizations.acting_for(
            attempt.call.organization_id, request.organization_id
        )
        attempt.primary = self.resolver.resolve(request.provider, request.model)
        attempt.chain = self.planner.chain(request, attempt.primary)
        attempt.prompt = PromptTokens(self.tokens, request)
        await call_next(attempt)

"""What a service hands to the transports: its tools, resources, lifecycle and health."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from prometheus_client import CollectorRegistry
from starlette.routing import BaseRoute

from mcp_shared.server.resources import ResourceRegistry
from mcp_shared.server.tools import ToolRegistry

CheckStatus = Literal["ok", "degraded", "down"]


@dataclass(slots=True)
class CheckResult:
    """One dependency's state as /readyz reports it; only ``essential`` checks make the service unready."""

    name: str
    status: CheckStatus
    essential: bool = True
    detail: dict[str, Any] = field(default_factory=dict)


class Service(Protocol):
    """A service as the transports see it."""

    name: str
    version: str
    instructions: str
    tools: ToolRegistry
    resources: ResourceRegistry
    metrics_registry: CollectorRegistry

    async def start(self) -> None:
        """Open connections and start background work; called once before serving."""

    async def stop(self) -> None:
        """Release everything ``start`` opened."""

    async def readiness(self) -> list[CheckResult]:
        """Check each dependency; called by /readyz."""

    def http_routes(self) -> list[BaseRoute]:
        """Service-specific plain HTTP routes mounted next to the tool routes."""

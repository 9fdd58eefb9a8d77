"""Governance: the organization's quotas and ledger, the providers' queues, circuits and health, and
fallback planning, held together for the tools and the service's lifecycle.

The gateway's stages (``gateway/stages/governance.py``) use these parts around each hop.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcp_llm.governance.circuit import CircuitBreakers
from mcp_llm.governance.fallback import FallbackPlanner
from mcp_llm.governance.ledger import UsageLedger
from mcp_llm.governance.monitor import HealthMonitor
from mcp_llm.governance.queue import QueueManager
from mcp_llm.governance.quotas import QuotaManager


@dataclass(frozen=True, slots=True)
class Governance:
    """Quotas, ledger, queues, circuits, health and fallback planning."""

    quotas: QuotaManager
    ledger: UsageLedger
    queues: QueueManager
    breakers: CircuitBreakers
    monitor: HealthMonitor
    planner: FallbackPlanner

    async def drain(self) -> None:
        """Wait for quota reconciliations still running (at shutdown)."""
        await self.quotas.drain()

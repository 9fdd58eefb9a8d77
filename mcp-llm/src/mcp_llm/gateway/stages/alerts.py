"""After each call, queue a check of its organization's budget (``governance/budget_alerts.py``)."""

from __future__ import annotations

from mcp_llm.gateway.attempt import Attempt, Next
from mcp_llm.governance.budget_alerts import BudgetAlerts


class BudgetCheck:
    """Never awaits the check: the call's latency does not depend on alerting."""

    def __init__(self, alerts: BudgetAlerts | None) -> None:
        self.alerts = alerts

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        try:
            await call_next(attempt)
        finally:
            if self.alerts is not None and attempt.organization:
                self.alerts.check_later(attempt.organization)

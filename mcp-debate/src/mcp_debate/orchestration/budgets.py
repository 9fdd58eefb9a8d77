"""The budget check before each LLM call of a step (the rule is in :mod:`mcp_debate.protocols.budget`).

What has been spent comes from the debate's ledger as committed; the judge's reservation from
planning the judge's context now, without I/O beyond reading the messages it would be sent.
"""

from __future__ import annotations

from mcp_debate.context.manager import ContextManager, NeedsSummary
from mcp_debate.domain.models import Debate, Participant
from mcp_debate.domain.schedule import Step
from mcp_debate.protocols import budget
from mcp_debate.protocols.budget import Cost
from mcp_debate.protocols.visibility import visible
from mcp_debate.store import Database
from mcp_debate.store import ledger as ledger_rows
from mcp_debate.store import messages as message_rows
from mcp_debate.store import summaries as summary_rows
from mcp_shared.errors import ServiceError


class BudgetGate:
    def __init__(self, db: Database, contexts: ContextManager) -> None:
        self.db = db
        self.contexts = contexts

    async def spent(self, debate: Debate) -> Cost:
        async with self.db.read() as conn:
            total = (await ledger_rows.compute(conn, debate.id, debate.participants)).total
        return Cost(total.total_tokens, total.cost_usd)

    async def refusal(self, debate: Debate, step: Step, me: Participant, prompt_tokens: int) -> str | None:
        """None when the step's call fits the budget (with the judge's reserve); else why it does not."""
        if not budget.has_budget(debate):
            return None
        reply = self.contexts.budget(me, debate).reserve
        needed = budget.reservation(me, prompt_tokens, reply)
        if step.kind != "verdict":
            needed = needed + await self._judge_reserve(debate, reply)
        spent = await self.spent(debate)
        return None if budget.fits(debate, spent, needed) else budget.describe(debate, spent, needed)

    async def allows(self, debate: Debate, pending: Cost, needed: Cost) -> bool:
        """Whether a further call fits once ``pending`` (spent but not yet committed) is counted."""
        if not budget.has_budget(debate):
            return True
        return budget.fits(debate, await self.spent(debate), pending, needed)

    async def _judge_reserve(self, debate: Debate, reply: int) -> Cost:
        """The judge's call if the call about to be made (its reply at most ``reply`` tokens) were the last.

        Nothing in ``vote``, where the judge only breaks ties.
        """
        judge = debate.with_role("judge")
        if judge is None or debate.protocol == "vote":
            return Cost()
        async with self.db.read() as conn:
            summary = await summary_rows.latest(conn, debate.id, "context", judge.position)
            history = await message_rows.page(conn, debate.id, summary.covers_to_seq if summary else 0)
        own = self.contexts.budget(judge)
        try:
            plan = self.contexts.plan(
                debate, judge, visible(debate, judge, history, debate.current_round), summary
            )
        except ServiceError:  # its own step will say so; reserve its whole budget meanwhile
            plan = NeedsSummary(0, 0)
        prompt = own.input if isinstance(plan, NeedsSummary) else plan.tokens
        return budget.reservation(judge, min(prompt + reply, own.input), own.reserve)

"""Assembling the context of one turn: planning, the summaries it needs, and a token count near the budget.

:class:`~mcp_debate.context.manager.ContextManager` plans without I/O; this module does the I/O its
plans call for: a summary made through mcp-llm and stored when older messages must be folded, and
mcp-llm's own count of a context that comes close to its budget (planned again, tighter, when the
model's tokenizer counts more than the local estimate).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import replace

from mcp_debate.context.manager import ContextManager, NeedsSummary, Ready
from mcp_debate.context.summarizer import Summarizer, SummaryMaker
from mcp_debate.domain.models import Debate, Message, Participant, Summary
from mcp_debate.llm import CallScope, LLMServiceClient, TokenCount
from mcp_debate.metrics import DebateMetrics
from mcp_debate.store import Database
from mcp_debate.store import summaries as summary_rows
from mcp_shared.errors import InternalError, ServiceError

logger = logging.getLogger(__name__)

PLAN_ATTEMPTS = 4


class ContextAssembler:
    def __init__(
        self,
        db: Database,
        llm: LLMServiceClient,
        contexts: ContextManager,
        summaries: SummaryMaker,
        metrics: DebateMetrics,
        verify_ratio: float,
    ) -> None:
        self.db = db
        self.llm = llm
        self.contexts = contexts
        self.summaries = summaries
        self.metrics = metrics
        self.verify_ratio = verify_ratio

    async def assemble(
        self,
        debate: Debate,
        me: Participant,
        summary: Summary | None,
        history: list[Message],
        scope: CallScope,
    ) -> tuple[Ready, TokenCount, float]:
        """The context to send, with summaries made as needed and the count checked near the budget."""
        shrink, summary_seconds = 0, 0.0
        for attempt in range(PLAN_ATTEMPTS):
            last = attempt == PLAN_ATTEMPTS - 1
            plan = self.contexts.plan(debate, me, history, summary, shrink=shrink, force=last)
            if isinstance(plan, NeedsSummary):
                covered = [m for m in history if m.seq <= plan.cover_to_seq]
                started = time.perf_counter()
                summary = await self._summarize(debate, me, summary, covered, plan, scope)
                summary_seconds += time.perf_counter() - started
                history = [m for m in history if m.seq > plan.cover_to_seq]
                continue
            if plan.tokens <= self.verify_ratio * plan.budget.input:
                return plan, TokenCount(plan.tokens, "local"), summary_seconds
            counted = await self._count(me, plan, scope)
            if counted.tokens <= plan.budget.input or last:
                return plan, counted, summary_seconds
            # mcp-llm counts more than estimated: plan again on a budget scaled by how far off we were.
            scaled = math.ceil(plan.budget.input * (1 - plan.tokens / counted.tokens)) + 16
            shrink = max(shrink + 16, scaled)
        raise InternalError(f"could not fit the context of '{me.name}' in {PLAN_ATTEMPTS} attempts")

    async def _summarize(
        self,
        debate: Debate,
        me: Participant,
        previous: Summary | None,
        covered: list[Message],
        plan: NeedsSummary,
        scope: CallScope,
    ) -> Summary:
        budget = self.contexts.budget(me)
        draft = await self.summaries.make(
            debate,
            Summarizer(me.provider, me.model, budget.total - budget.margin - plan.max_tokens),
            previous,
            covered,
            plan.max_tokens,
            replace(scope, purpose="context summary"),
            kind="context",
            participant=me.position,
        )
        async with self.db.write() as conn:
            stored = await summary_rows.insert(conn, draft)
        self.metrics.summaries.labels("context").inc()
        self.metrics.llm_time.labels("summary").observe(draft.latency_ms / 1000)
        return stored

    async def _count(self, me: Participant, plan: Ready, scope: CallScope) -> TokenCount:
        """mcp-llm's count of the whole context; the local estimate if it cannot count now."""
        try:
            return await self.llm.estimate_tokens(
                me.provider, me.model, plan.messages, replace(scope, purpose="token count")
            )
        except ServiceError as exc:
            logger.info("token count unavailable, using the local estimate: %s", exc.message)
            return TokenCount(plan.tokens, "local")

"""Read views shared by tools, MCP resources and the plain HTTP mirrors."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mcp_debate.context.manager import ContextManager, NeedsSummary
from mcp_debate.domain.clock import utc_now
from mcp_debate.domain.models import (
    ContextSnapshot,
    DebateListItem,
    DebateView,
    Message,
    Participant,
    Summary,
)
from mcp_debate.domain.states import DebateState
from mcp_debate.exports import ExportDocument
from mcp_debate.orchestration.lookup import require_debate
from mcp_debate.orchestration.runs import DebateRunner
from mcp_debate.protocols.visibility import visible
from mcp_debate.store import Database
from mcp_debate.store import debates as debate_rows
from mcp_debate.store import ledger as ledger_rows
from mcp_debate.store import messages as message_rows
from mcp_debate.store import snapshots as snapshot_rows
from mcp_debate.store import summaries as summary_rows
from mcp_shared.models import ChatMessage


class DebateList(BaseModel):
    debates: list[DebateListItem]
    total: int
    limit: int
    offset: int


class MessagePage(BaseModel):
    debate_id: str
    messages: list[Message]


class ParticipantList(BaseModel):
    debate_id: str
    participants: list[Participant]


class BudgetView(BaseModel):
    total: int = Field(description="min(max_tokens, the model's window).")
    reserve: int = Field(description="Kept for the reply.")
    margin: int
    input: int = Field(description="What everything sent may take.")


class ParticipantContext(BaseModel):
    participant: str
    position: int
    budget: BudgetView
    summary: Summary | None = Field(
        description="The context summary replacing this participant's oldest messages."
    )
    last_turn: ContextSnapshot | None = Field(description="What the participant was sent on its last turn.")


class NextTurnPreview(BaseModel):
    participant: str
    summary_needed_through_seq: int | None = Field(
        description="Set when older messages must first be folded into a new summary (made on the turn)."
    )
    messages: list[ChatMessage] = Field(description="What would be sent now (empty when a summary is due).")
    estimated_tokens: int


class ContextState(BaseModel):
    debate_id: str
    participants: list[ParticipantContext]
    next_turn: NextTurnPreview | None


class Queries:
    def __init__(self, db: Database, runner: DebateRunner, contexts: ContextManager) -> None:
        self.db = db
        self.runner = runner
        self.contexts = contexts

    async def debate(self, debate_id: str) -> DebateView:
        async with self.db.read() as conn:
            debate = await require_debate(conn, debate_id)
            ledger = await ledger_rows.compute(conn, debate_id, debate.participants)
            count = await message_rows.count(conn, debate_id)
        return DebateView(
            **debate.model_dump(exclude={"total_turns", "current_round", "next_speaker", "next_step_kind"}),
            ledger=ledger,
            run_active=self.runner.is_active(debate_id),
            message_count=count,
        )

    async def debates(
        self, organization: str, state: DebateState | None = None, limit: int = 50, offset: int = 0
    ) -> DebateList:
        """The organization's debates (nobody sees another organization's)."""
        async with self.db.read() as conn:
            items, total = await debate_rows.list_page(conn, organization, state, limit, offset)
        return DebateList(debates=items, total=total, limit=limit, offset=offset)

    async def messages(self, debate_id: str, after_seq: int = 0, limit: int | None = None) -> MessagePage:
        async with self.db.read() as conn:
            await require_debate(conn, debate_id)
            page = await message_rows.page(conn, debate_id, after_seq, limit)
        return MessagePage(debate_id=debate_id, messages=page)

    async def export_document(self, debate_id: str) -> ExportDocument:
        view = await self.debate(debate_id)
        async with self.db.read() as conn:
            page = await message_rows.page(conn, debate_id)
            summary = await summary_rows.latest(conn, debate_id, "debate")
        return ExportDocument(
            exported_at=utc_now(), verdict=view.verdict, debate=view, messages=page, summary=summary
        )

    async def participants(self, debate_id: str) -> ParticipantList:
        async with self.db.read() as conn:
            debate = await require_debate(conn, debate_id)
        return ParticipantList(debate_id=debate_id, participants=debate.participants)

    async def context(self, debate_id: str) -> ContextState:
        """Each participant's budget, summary and last turn's context; a preview of the next turn's."""
        async with self.db.read() as conn:
            debate = await require_debate(conn, debate_id)
            snapshots = await snapshot_rows.latest_per_participant(conn, debate_id)
            summaries = {
                p.position: await summary_rows.latest(conn, debate_id, "context", p.position)
                for p in debate.participants
            }
            nxt = debate.next_participant()
            covered = summaries[nxt.position] if nxt else None
            after = covered.covers_to_seq if covered else 0
            history = await message_rows.page(conn, debate_id, after) if nxt else []
        views = []
        for p in debate.participants:
            budget = self.contexts.budget(p, debate)
            views.append(
                ParticipantContext(
                    participant=p.name,
                    position=p.position,
                    budget=BudgetView(
                        total=budget.total, reserve=budget.reserve, margin=budget.margin, input=budget.input
                    ),
                    summary=summaries[p.position],
                    last_turn=snapshots.get(p.position),
                )
            )
        preview = None
        if nxt is not None:
            history = visible(debate, nxt, history, debate.current_round)
            plan = self.contexts.plan(debate, nxt, history, summaries[nxt.position])
            if isinstance(plan, NeedsSummary):
                preview = NextTurnPreview(
                    participant=nxt.name,
                    summary_needed_through_seq=plan.cover_to_seq,
                    messages=[],
                    estimated_tokens=0,
                )
            else:
                preview = NextTurnPreview(
                    participant=nxt.name,
                    summary_needed_through_seq=None,
                    messages=plan.messages,
                    estimated_tokens=plan.tokens,
                )
        return ContextState(debate_id=debate_id, participants=views, next_turn=preview)

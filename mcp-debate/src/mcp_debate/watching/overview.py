"""Debates as the web page lists them: state, protocol, participants, progress, cost and verdict."""

from __future__ import annotations

from pydantic import BaseModel

from mcp_debate.domain.models import DebateView
from mcp_debate.domain.states import DebateState
from mcp_debate.orchestration.queries import Queries
from mcp_debate.store import debates as debate_rows


class ParticipantBrief(BaseModel):
    name: str
    role: str
    provider: str
    model: str


class DebateRow(BaseModel):
    """One line of the list; the same shape rendered by the server and sent to the list's event stream."""

    id: str
    name: str
    topic: str
    state: DebateState
    protocol: str
    participants: list[ParticipantBrief]
    turns_taken: int
    total_turns: int
    cost_usd: float
    tokens: int
    verdict: str | None
    stopped_reason: str | None
    created_at: str

    @classmethod
    def of(cls, view: DebateView) -> DebateRow:
        verdict = view.verdict
        summary = None
        if verdict is not None:
            summary = verdict.answer or verdict.winner or ("tie" if verdict.tied else None)
        return cls(
            id=view.id,
            name=view.name,
            topic=view.topic,
            state=view.state,
            protocol=view.protocol,
            participants=[
                ParticipantBrief(name=p.name, role=p.role, provider=p.provider, model=p.model)
                for p in view.participants
            ],
            turns_taken=view.turns_taken,
            total_turns=view.total_turns,
            cost_usd=view.ledger.total.cost_usd,
            tokens=view.ledger.total.input_tokens + view.ledger.total.output_tokens,
            verdict=summary,
            stopped_reason=view.stopped_reason,
            created_at=view.created_at,
        )


class Overview:
    """Reads list rows for one organization (nobody sees another organization's debates)."""

    def __init__(self, queries: Queries) -> None:
        self.queries = queries

    async def rows(self, organization: str, limit: int = 50) -> tuple[list[DebateRow], int]:
        page = await self.queries.debates(organization, limit=limit)
        rows = [DebateRow.of(await self.queries.debate(item.id)) for item in page.debates]
        return rows, page.total

    async def row(self, debate_id: str, organization: str) -> DebateRow | None:
        """The row of one debate, or None when ``organization`` does not own it (or it is gone)."""
        async with self.queries.db.read() as conn:
            owner = await debate_rows.organization_of(conn, debate_id)
        if owner != organization:
            return None
        return DebateRow.of(await self.queries.debate(debate_id))

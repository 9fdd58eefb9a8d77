"""Context snapshots: what each turn's participant was sent, written with the turn's message."""

from __future__ import annotations

import json

from mcp_debate.domain.models import ContextSnapshot
from mcp_debate.store.connection import Connection, rows

_COLUMNS = (
    "turn, participant, summary_id, first_seq, last_seq, message_count, tokens, token_method, budget, "
    "created_at, messages"
)


async def insert(conn: Connection, debate_id: str, snapshot: ContextSnapshot) -> None:
    await conn.execute(
        f"INSERT INTO context_snapshots (debate_id, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        (
            debate_id,
            snapshot.turn,
            snapshot.participant,
            snapshot.summary_id,
            snapshot.first_seq,
            snapshot.last_seq,
            snapshot.message_count,
            snapshot.tokens,
            snapshot.token_method,
            snapshot.budget,
            snapshot.created_at,
            None
            if snapshot.messages is None
            else json.dumps([m.model_dump(mode="json") for m in snapshot.messages]),
        ),
    )


async def latest_per_participant(conn: Connection, debate_id: str) -> dict[int, ContextSnapshot]:
    found = await rows(
        conn,
        f"SELECT {_COLUMNS} FROM context_snapshots s WHERE debate_id = ? AND turn = "  # noqa: S608
        "(SELECT MAX(turn) FROM context_snapshots t WHERE t.debate_id = s.debate_id "
        "AND t.participant = s.participant)",
        (debate_id,),
    )
    return {r["participant"]: _snapshot(dict(r)) for r in found}


def _snapshot(row: dict[str, object]) -> ContextSnapshot:
    sent = row.pop("messages")
    return ContextSnapshot(**row, messages=json.loads(sent) if isinstance(sent, str) else None)  # type: ignore[arg-type]

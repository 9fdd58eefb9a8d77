"""Summaries: context summaries per participant and debate summaries, each with the messages it covers."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import TypeAdapter

from mcp_debate.domain.clock import utc_now
from mcp_debate.domain.models import SideSummary, Summary
from mcp_debate.store.connection import Connection, Row, row

_INSERTED = (
    "debate_id, scope, participant, covers_from_seq, covers_to_seq, message_count, sides, narrative, "
    "content, provider, model, input_tokens, output_tokens, cost_usd, latency_ms, created_at, calls, "
    "cache_read_tokens, cache_write_tokens, cache_saving_usd"
)
_COLUMNS = "id, " + _INSERTED
_PLACEHOLDERS = ", ".join("?" for _ in _INSERTED.split(","))
_SIDES = TypeAdapter(list[SideSummary])


def _summary(row: Row) -> Summary:
    values: dict[str, Any] = dict(row)
    values["sides"] = _SIDES.validate_json(values["sides"])
    return Summary(**values)


async def insert(conn: Connection, draft: Summary) -> Summary:
    """Store a summary (its ``id`` and ``created_at`` are assigned here)."""
    found = await row(
        conn,
        f"INSERT INTO summaries ({_INSERTED}) VALUES ({_PLACEHOLDERS}) "  # noqa: S608
        "RETURNING " + _COLUMNS,
        (
            draft.debate_id,
            draft.scope,
            draft.participant,
            draft.covers_from_seq,
            draft.covers_to_seq,
            draft.message_count,
            json.dumps([s.model_dump() for s in draft.sides]),
            draft.narrative,
            draft.content,
            draft.provider,
            draft.model,
            draft.input_tokens,
            draft.output_tokens,
            draft.cost_usd,
            draft.latency_ms,
            utc_now(),
            draft.calls,
            draft.cache_read_tokens,
            draft.cache_write_tokens,
            draft.cache_saving_usd,
        ),
    )
    assert found is not None
    return _summary(found)


async def latest(
    conn: Connection,
    debate_id: str,
    scope: Literal["context", "debate"],
    participant: int | None = None,
) -> Summary | None:
    """The summary covering the most messages (the newest among equals)."""
    found = await row(
        conn,
        f"SELECT {_COLUMNS} FROM summaries WHERE debate_id = ? AND scope = ? "  # noqa: S608
        "AND participant IS NOT DISTINCT FROM ? "
        "ORDER BY covers_to_seq DESC, id DESC LIMIT 1",
        (debate_id, scope, participant),
    )
    return _summary(found) if found else None


async def get(conn: Connection, summary_id: int) -> Summary | None:
    found = await row(conn, f"SELECT {_COLUMNS} FROM summaries WHERE id = ?", (summary_id,))  # noqa: S608
    return _summary(found) if found else None

"""Messages of a debate: participants' turns and messages added from outside.

``UNIQUE (debate_id, turn)`` is what guarantees one message per turn whatever process tries to
write it; a second writer gets :class:`~mcp_debate.store.connection.ConstraintError` and reads the
winner's message.
"""

from __future__ import annotations

import json
from typing import Any

from mcp_debate.domain.clock import utc_now
from mcp_debate.domain.models import Message, MessageKind
from mcp_debate.store.changes import note
from mcp_debate.store.connection import Connection, Row, row, rows, scalar

_INSERTED = (
    "debate_id, seq, kind, round, turn, participant, speaker, content, input_tokens, output_tokens, "
    "cost_usd, latency_ms, provider, model, finish_reason, cached, request_id, answer, structured, calls, "
    "created_at, stance_check, cache_read_tokens, cache_write_tokens, cache_saving_usd"
)
_COLUMNS = "id, " + _INSERTED


def _message(row: Row) -> Message:
    values = dict(row)
    values["cached"] = bool(values["cached"])
    values["structured"] = json.loads(values["structured"]) if values["structured"] else None
    values["stance_check"] = json.loads(values["stance_check"]) if values["stance_check"] else None
    return Message(**values)


async def insert(
    conn: Connection,
    *,
    debate_id: str,
    kind: MessageKind,
    speaker: str,
    content: str,
    round: int | None = None,
    turn: int | None = None,
    participant: int | None = None,
    input_tokens: int = 0,
    output_tokens: int = 0,
    cost_usd: float = 0.0,
    latency_ms: float = 0.0,
    provider: str | None = None,
    model: str | None = None,
    finish_reason: str | None = None,
    cached: bool = False,
    request_id: str | None = None,
    answer: str | None = None,
    structured: dict[str, Any] | None = None,
    calls: int = 1,
    stance_check: dict[str, Any] | None = None,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    cache_saving_usd: float = 0.0,
) -> Message:
    """Append a message at the next ``seq`` (call inside a write transaction)."""
    found = await row(
        conn,
        f"INSERT INTO messages ({_INSERTED}) VALUES (?, "  # noqa: S608
        "(SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE debate_id = ?), "
        "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING " + _COLUMNS,
        (
            debate_id,
            debate_id,
            kind,
            round,
            turn,
            participant,
            speaker,
            content,
            input_tokens,
            output_tokens,
            cost_usd,
            latency_ms,
            provider,
            model,
            finish_reason,
            int(cached),
            request_id,
            answer,
            json.dumps(structured) if structured is not None else None,
            calls if kind == "turn" else 0,
            utc_now(),
            json.dumps(stance_check) if stance_check is not None else None,
            cache_read_tokens,
            cache_write_tokens,
            cache_saving_usd,
        ),
    )
    assert found is not None
    note(debate_id, messages=True)
    return _message(found)


async def for_turn(conn: Connection, debate_id: str, turn: int) -> Message | None:
    found = await row(
        conn,
        f"SELECT {_COLUMNS} FROM messages WHERE debate_id = ? AND turn = ?",  # noqa: S608
        (debate_id, turn),
    )
    return _message(found) if found else None


async def page(
    conn: Connection, debate_id: str, after_seq: int = 0, limit: int | None = None
) -> list[Message]:
    """Messages in order, after ``after_seq``; all of them when ``limit`` is None."""
    sql = f"SELECT {_COLUMNS} FROM messages WHERE debate_id = ? AND seq > ? ORDER BY seq"  # noqa: S608
    params: tuple[object, ...] = (debate_id, after_seq)
    if limit is not None:
        sql, params = f"{sql} LIMIT ?", (*params, limit)
    found = await rows(conn, sql, params)
    return [_message(r) for r in found]


async def count(conn: Connection, debate_id: str) -> int:
    return int(await scalar(conn, "SELECT COUNT(*) FROM messages WHERE debate_id = ?", (debate_id,)))

"""Finding a debate by id, or the 404-style ``invalid_request`` every tool gives for an unknown one."""

from __future__ import annotations

import aiosqlite

from mcp_debate.domain.models import Debate
from mcp_debate.store import debates as debate_rows
from mcp_shared.errors import NotFoundError


async def require_debate(conn: aiosqlite.Connection, debate_id: str) -> Debate:
    debate = await debate_rows.get(conn, debate_id)
    if debate is None:
        raise NotFoundError(f"unknown debate '{debate_id}'", details={"field": "debate_id"})
    return debate

"""Finding a debate by id, or the 404-style ``invalid_request`` every tool gives for an unknown one.

A debate of another organization is answered exactly like one that does not exist, so a caller cannot
even learn that an id is in use.
"""

from __future__ import annotations

from mcp_debate.domain.models import Debate
from mcp_debate.store import debates as debate_rows
from mcp_debate.store.connection import Connection
from mcp_shared.errors import NotFoundError


def unknown_debate(debate_id: str) -> NotFoundError:
    return NotFoundError(f"unknown debate '{debate_id}'", details={"field": "debate_id"})


async def require_debate(conn: Connection, debate_id: str) -> Debate:
    debate = await debate_rows.get(conn, debate_id)
    if debate is None:
        raise unknown_debate(debate_id)
    return debate


async def require_owned(conn: Connection, debate_id: str, organization: str) -> None:
    """Pass when the debate exists and belongs to ``organization``; otherwise the unknown-debate error."""
    if await debate_rows.organization_of(conn, debate_id) != organization:
        raise unknown_debate(debate_id)

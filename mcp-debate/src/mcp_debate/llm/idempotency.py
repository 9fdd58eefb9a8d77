"""The idempotency key a turn sends with each of its mcp-llm calls.

``debate:{debate id}:turn:{turn number}:{step}:{request digest}``. A turn that is run again — resumed
after a crash between mcp-llm's answer and the commit, or taken over from a replica whose lease ran
out — rebuilds the same prompt for the same turn number, so it sends the same key and mcp-llm answers
from its idempotency store: the answer already paid for, not a second call.

The digest of the request is part of the key, so a run that builds a *different* request for the same
turn (a transcript summarised differently, a participant edited) is simply a new call rather than a
key reused with another body (which mcp-llm refuses). A failed call keeps nothing in mcp-llm, so
retrying a turn after a failure with the same key calls the provider again, as it should.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from mcp_shared.models import CompletionRequest

Step = Literal["turn", "reask"]
"""Which call of the turn: its answer, or the one re-ask after an unreadable structured answer."""


def turn_key(debate_id: str, turn: int, step: Step, request: CompletionRequest) -> str:
    body = request.model_dump_json(exclude={"idempotency_key", "stream"})
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    return f"debate:{debate_id}:turn:{turn}:{step}:{digest}"


def keyed(request: CompletionRequest, debate_id: str, turn: int, step: Step) -> CompletionRequest:
    """``request`` carrying its turn's idempotency key."""
    return request.model_copy(update={"idempotency_key": turn_key(debate_id, turn, step, request)})

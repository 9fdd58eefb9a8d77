"""What a write transaction changed, announced once it has committed.

Repository functions note the debates they touch (:func:`note`); :meth:`Database.write` collects the
notes of its block in a context variable and hands them to its listener after ``COMMIT``, never before
and never for a block that rolled back. Watchers (the web page's event streams, MCP resource
subscriptions) therefore learn of a turn exactly when readers can see it, from one place, whatever
code path wrote it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Change:
    """One debate changed in a committed transaction; ``messages`` when a message was added to it."""

    debate_id: str
    messages: bool = False
    created: bool = False


ChangeListener = Callable[[list[Change]], None]

_pending: ContextVar[dict[str, Change] | None] = ContextVar("mcp_debate_pending_changes", default=None)


def note(debate_id: str, *, messages: bool = False, created: bool = False) -> None:
    """Record that the open write transaction changed ``debate_id`` (a no-op outside one)."""
    pending = _pending.get()
    if pending is None:
        return
    before = pending.get(debate_id)
    if before is not None:
        messages, created = messages or before.messages, created or before.created
    pending[debate_id] = Change(debate_id, messages=messages, created=created)


def collecting() -> tuple[dict[str, Change], object]:
    """Start collecting the notes of a transaction; returns the collection and the reset token."""
    pending: dict[str, Change] = {}
    return pending, _pending.set(pending)


def stop_collecting(token: object) -> None:
    _pending.reset(token)  # type: ignore[arg-type]

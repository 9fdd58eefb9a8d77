"""Reshaping a chat for vendors whose APIs take the system prompt apart and want strictly alternating turns.

Anthropic's Messages API and Gemini both take system text in a separate field and reject (or
mis-handle) two consecutive turns of one role. The contract's messages allow both, so the
adapters of those vendors reshape the conversation here, in one place, the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mcp_shared.models import ChatMessage

TURN_SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn of an alternating conversation: ``user`` or ``assistant`` with its text."""

    role: str
    text: str


@dataclass(frozen=True, slots=True)
class SplitChat:
    """A conversation with its system text apart and its turns alternating."""

    system: str | None
    turns: tuple[Turn, ...]


def split_chat(messages: Iterable[ChatMessage]) -> SplitChat:
    """System messages joined into one system text; consecutive same-role turns merged.

    A conversation made only of system messages becomes one user turn: the vendors require
    at least one turn, and the caller's text must reach the model rather than vanish.
    """
    system_parts: list[str] = []
    turns: list[Turn] = []
    for message in messages:
        if message.role == "system":
            system_parts.append(message.content)
        elif turns and turns[-1].role == message.role:
            turns[-1] = Turn(message.role, turns[-1].text + TURN_SEPARATOR + message.content)
        else:
            turns.append(Turn(message.role, message.content))
    system = TURN_SEPARATOR.join(p for p in system_parts if p) or None
    if not turns:
        return SplitChat(None, (Turn("user", system or ""),))
    return SplitChat(system, tuple(turns))

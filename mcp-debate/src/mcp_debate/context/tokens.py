"""A local, deliberately generous token estimate for planning a context without a network call.

It errs on the high side for English (about 3.2 characters per token against the usual 4) and
counts every non-ASCII character as a token, which keeps it from underestimating CJK text. Contexts
that come close to their budget are counted again by mcp-llm before they are sent.
"""

from __future__ import annotations

import math

from mcp_shared.models import ChatMessage

PER_MESSAGE = 4
"""Framing tokens per chat message (role markers, separators)."""
PER_REQUEST = 3


def estimate_text(text: str) -> int:
    ascii_chars = len(text) if text.isascii() else len(text.encode("ascii", "ignore"))
    return math.ceil(ascii_chars / 3.2) + (len(text) - ascii_chars)


def estimate_message(content: str) -> int:
    return estimate_text(content) + PER_MESSAGE


def estimate_messages(messages: list[ChatMessage]) -> int:
    return sum(estimate_message(m.content) for m in messages) + PER_REQUEST

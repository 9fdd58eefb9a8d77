"""Automatic prompt caching: where a request's stable prefix ends, in each vendor's terms.

Anthropic caches a prompt prefix only where the request marks it (``cache_control`` on a block, at
most four per request) and only when the prefix reaches the model's minimum length (shorter marked
prefixes are processed uncached, without error). We mark up to three places, each only when the prefix
through it is estimated long enough:

1. the end of the system prompt, stable for a whole conversation;
2. the end of the history before the newest message (a debate participant's next turn starts with it);
3. the end of the whole prompt (the next call of a growing chat extends it).

Anthropic looks back up to 20 blocks from a breakpoint for an earlier cached prefix, so a write at (3)
or (2) is read by the next call. Turns that merge several messages are sent as one text block per
message, with the separator at the start of every later block: the text the model reads is exactly the
merged text, and a message keeps the same block in every later call.

OpenAI caches prefixes of 1024+ tokens by itself; ``prompt_cache_key`` routes calls with one stable
prefix to the same cache, so we derive it from the system prompt and the first turn.

Lengths are estimated at four characters a token: a wrong estimate costs at most a missed discount or a
marker Anthropic ignores, never a changed answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from mcp_llm.providers.turns import TURN_SEPARATOR
from mcp_shared.models import ChatMessage

MAX_BREAKPOINTS = 4
"""Anthropic's limit per request."""
CHARS_PER_TOKEN = 4
EPHEMERAL: dict[str, str] = {"type": "ephemeral"}

# Anthropic's documented minimum cacheable prompt length per model family, in tokens (first match wins).
_MINIMUMS: tuple[tuple[str, int], ...] = (
    ("claude-haiku-4", 4096),
    ("claude-opus-4-5", 4096),
    ("claude-opus-4-6", 4096),
    ("claude-opus-4-7", 4096),
    ("claude-opus-4-8", 4096),
    ("claude-opus-5", 4096),
    ("claude-3-5-haiku", 2048),
    ("claude-3-haiku", 2048),
    ("claude-haiku-3", 2048),
)
DEFAULT_MINIMUM = 1024
"""Sonnet models and the older Opus models."""


def minimum_tokens(model: str) -> int:
    """The shortest prefix Anthropic caches for ``model``."""
    for prefix, tokens in _MINIMUMS:
        if model.startswith(prefix):
            return tokens
    return DEFAULT_MINIMUM


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN


def anthropic_cached_arguments(messages: Sequence[ChatMessage], model: str) -> dict[str, Any] | None:
    """``system`` and ``messages`` with cache breakpoints, or None when no prefix is long enough."""
    system_text = TURN_SEPARATOR.join(m.content for m in messages if m.role == "system" and m.content)
    chat = [m for m in messages if m.role != "system"]
    if not chat:
        return None
    minimum = minimum_tokens(model)
    turns: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []  # every message block, in order
    for message in chat:
        if turns and turns[-1]["role"] == message.role:
            block = {"type": "text", "text": TURN_SEPARATOR + message.content}
            turns[-1]["content"].append(block)
        else:
            block = {"type": "text", "text": message.content}
            turns.append({"role": message.role, "content": [block]})
        blocks.append(block)
    system_tokens = estimate_tokens(system_text)
    prefix_tokens, running = [], system_tokens
    for block in blocks:
        running += estimate_tokens(block["text"])
        prefix_tokens.append(running)
    marks = 0
    args: dict[str, Any] = {"messages": turns}
    if system_text:
        system_block: dict[str, Any] = {"type": "text", "text": system_text}
        if system_tokens >= minimum:
            system_block["cache_control"] = dict(EPHEMERAL)
            marks += 1
        args["system"] = [system_block]
    for index in sorted({len(blocks) - 2, len(blocks) - 1}):
        if index >= 0 and prefix_tokens[index] >= minimum and marks < MAX_BREAKPOINTS:
            blocks[index]["cache_control"] = dict(EPHEMERAL)
            marks += 1
    return args if marks else None


def openai_cache_key(messages: Sequence[ChatMessage]) -> str | None:
    """A key naming the stable start of the prompt (system text and first turn), or None without one."""
    head = [m for m in messages if m.role == "system"]
    first = next((i for i, m in enumerate(messages) if m.role != "system"), None)
    if first is not None and first < len(messages) - 1:  # the newest message is not stable
        head.append(messages[first])
    if not head:
        return None
    digest = hashlib.sha256()
    for message in head:
        digest.update(f"{message.role}\0{message.content}\0".encode())
    return "pc-" + digest.hexdigest()[:32]

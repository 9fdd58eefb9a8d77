"""Prompt compression without I/O: what ``compress`` may change in a prompt, and how.

Protected, never changed: every system message, the last user message and whatever follows it. The
rest, the history, may be

- normalised: trailing spaces, runs of spaces inside a line (indentation is kept) and runs of blank
  lines squeezed;
- deduplicated: a history message repeating the one before it, a history message or paragraph of at
  least ``MIN_DUPLICATE_CHARS`` characters already said earlier (or in a protected message) is removed;
- shortened to a token target: the oldest history messages are removed, to be summarised by a cheap
  model (``stages/compress.py`` makes that call) or simply dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mcp_shared.models import ChatMessage

MIN_DUPLICATE_CHARS = 40
"""Shorter paragraphs ("Yes.", "Go on.") repeat legitimately and are never removed as duplicates."""

_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_INNER_SPACES = re.compile(r"(?<=\S)[ \t]{2,}")
_BLANK_LINES = re.compile(r"\n{3,}")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")

SUMMARY_INSTRUCTION = (
    "You shorten conversations. Summarise the conversation excerpt the user gives you in at most {words} "
    "words. Keep every fact, name, number, decision and open question; say who said what. Write only the "
    "summary."
)
SUMMARY_HEADER = "[Summary of {count} earlier messages]"


def protected(messages: Sequence[ChatMessage]) -> list[bool]:
    """Per message, whether compression must leave it exactly as it is (the last message always is, so a
    compressed prompt is never empty)."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=len(messages) - 1)
    return [m.role == "system" or i >= last_user for i, m in enumerate(messages)]


def squeeze(text: str) -> str:
    """Whitespace normalised: line ends, spaces inside lines, blank-line runs, ends of the text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _TRAILING_SPACE.sub("", text)
    text = _INNER_SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


def normalise(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """Whitespace squeezed and duplicate content removed from the history; protected messages untouched."""
    keep = protected(messages)
    seen = {p for m, k in zip(messages, keep, strict=True) if k for p in _paragraphs(squeeze(m.content))}
    seen_messages: set[str] = set()
    out: list[ChatMessage] = []
    for message, is_protected in zip(messages, keep, strict=True):
        if is_protected:
            out.append(message)
            continue
        text = squeeze(message.content)
        previous = out[-1] if out else None
        if previous is not None and previous.role == message.role and squeeze(previous.content) == text:
            continue  # the same message twice in a row (a client re-sending a turn)
        if len(text) >= MIN_DUPLICATE_CHARS and text in seen_messages:
            continue
        seen_messages.add(text)
        kept: list[str] = []
        for paragraph in _paragraphs(text):
            if len(paragraph) >= MIN_DUPLICATE_CHARS and paragraph in seen:
                continue
            seen.add(paragraph)
            kept.append(paragraph)
        if kept:
            out.append(ChatMessage(role=message.role, content="\n\n".join(kept)))
    return out


@dataclass(frozen=True, slots=True)
class Cut:
    """The ``count`` oldest history messages removed from a prompt (``at``: where they started)."""

    kept: list[ChatMessage]
    removed: list[ChatMessage]
    at: int


def cut_oldest(
    messages: Sequence[ChatMessage],
    size: Callable[[Sequence[ChatMessage]], int],
    target: int,
    reserve: int = 0,
) -> Cut | None:
    """The fewest oldest history messages whose removal brings the prompt to ``target - reserve`` tokens;
    ``None`` when removing all of them is still too much (``size``: the prompt's token count, additive
    per message as ``TokenCounter.count_messages`` is)."""
    keep = protected(messages)
    history = [i for i, k in enumerate(keep) if not k]
    empty = size([])
    costs = [size([m]) - empty for m in messages]
    total = size(messages)
    for count in range(1, len(history) + 1):
        total -= costs[history[count - 1]]
        if total + reserve <= target:
            return _cut(messages, history[:count])
    return None


def cut_all(messages: Sequence[ChatMessage]) -> Cut:
    """Every history message removed (the most compression can do)."""
    return _cut(messages, [i for i, k in enumerate(protected(messages)) if not k])


def _cut(messages: Sequence[ChatMessage], indices: list[int]) -> Cut:
    gone = set(indices)
    return Cut(
        kept=[m for i, m in enumerate(messages) if i not in gone],
        removed=[messages[i] for i in indices],
        at=indices[0] if indices else 0,
    )


def summary_prompt(removed: Sequence[ChatMessage], words: int) -> list[ChatMessage]:
    """The cheap model's instructions and the excerpt to summarise."""
    excerpt = "\n\n".join(f"{m.role}: {m.content}" for m in removed)
    return [
        ChatMessage(role="system", content=SUMMARY_INSTRUCTION.format(words=words)),
        ChatMessage(role="user", content=excerpt),
    ]


def with_summary(cut: Cut, summary: str) -> list[ChatMessage]:
    """The kept messages, the summary where the removed ones were (a user turn, never the system prompt)."""
    text = f"{SUMMARY_HEADER.format(count=len(cut.removed))}\n{summary.strip()}"
    return [*cut.kept[: cut.at], ChatMessage(role="user", content=text), *cut.kept[cut.at :]]

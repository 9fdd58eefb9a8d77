"""The hub: one place where committed changes and the text of turns being written are fanned out.

Committed changes come from :attr:`Database.on_commit` (after ``COMMIT``, so a watcher that reads on
a change sees it); text comes from the turn runner while a debater's reply streams. Each watcher has a
bounded queue. Changes are level triggers ("debate X changed, read it again"), so a watcher whose
queue is full is marked ``lagging`` and re-reads everything once it catches up, and no amount of
activity grows memory; text chunks that do not fit are dropped (the committed turn replaces them).

Only this process's writes are seen: a debate run by another process sharing the database shows its
turns here when this process next writes to it, or when the page is reloaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from mcp_debate.store.changes import Change

logger = logging.getLogger(__name__)

QUEUE_SIZE = 512
"""Events a watcher may have unread before it is marked lagging."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """Text of a turn being written: ``turn`` is the turn it will commit as."""

    debate_id: str
    turn: int
    round: int
    speaker: str
    text: str


@dataclass(frozen=True, slots=True)
class HubEvent:
    """A committed change or a chunk of text."""

    change: Change | None = None
    chunk: Chunk | None = None


@dataclass(eq=False, slots=True)
class Watch:
    """One watcher's view of the hub: its queue, and whether it missed events."""

    debate_id: str | None
    """The debate it follows; None follows every debate (the list)."""
    queue: asyncio.Queue[HubEvent] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    lagging: bool = False
    """Set when events were dropped: read the whole state again instead of trusting the deltas."""

    def offer(self, event: HubEvent) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            if event.change is not None:
                self.lagging = True


ChangeListener = Callable[[list[Change]], None]


class DebateHub:
    """Fans out what happens to debates to the watchers and listeners of this process."""

    def __init__(self) -> None:
        self._watches: dict[str | None, set[Watch]] = {}
        self._listeners: list[ChangeListener] = []

    def committed(self, changes: list[Change]) -> None:
        """Database.on_commit: tell watchers of each debate, watchers of the list, and listeners."""
        for change in changes:
            event = HubEvent(change=change)
            for watch in (*self._watches.get(change.debate_id, ()), *self._watches.get(None, ())):
                watch.offer(event)
        for listener in self._listeners:
            try:
                listener(changes)
            except Exception:  # one broken listener must not stop the others, nor fail the write
                logger.exception("change listener failed")

    def add_listener(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def is_watched(self, debate_id: str) -> bool:
        """Whether anyone follows this debate's text as it is written (else turns need not stream)."""
        return bool(self._watches.get(debate_id))

    def chunk(self, chunk: Chunk) -> None:
        event = HubEvent(chunk=chunk)
        for watch in self._watches.get(chunk.debate_id, ()):
            watch.offer(event)

    @contextlib.contextmanager
    def watch(self, debate_id: str | None) -> Iterator[Watch]:
        """Follow one debate (or, with None, the changes of every debate) for the block's duration."""
        watch = Watch(debate_id)
        self._watches.setdefault(debate_id, set()).add(watch)
        try:
            yield watch
        finally:
            watches = self._watches.get(debate_id, set())
            watches.discard(watch)
            if not watches:
                self._watches.pop(debate_id, None)

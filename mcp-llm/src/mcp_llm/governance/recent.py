"""Per-model state kept for the most recently used models only.

Circuits and rolling health figures are kept per provider and model, and callers name models freely:
without a bound, each made-up name would hold memory for the life of the process (and lengthen every
``provider_health`` report). ``RecentMap`` keeps the ``limit`` most recently used entries and forgets
the oldest; a forgotten model simply starts afresh if it is used again.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")

MAX_TRACKED_MODELS = 2_048
"""Models tracked per replica by each per-model structure: far more than any deployment uses at once."""


class RecentMap(OrderedDict[K, V]):
    """A dict bounded to its ``limit`` most recently read or written keys."""

    def __init__(self, limit: int = MAX_TRACKED_MODELS) -> None:
        super().__init__()
        self.limit = limit

    def __getitem__(self, key: K) -> V:
        value = super().__getitem__(key)
        self.move_to_end(key)
        return value

    @overload
    def get(self, key: K, default: None = None, /) -> V | None: ...
    @overload
    def get(self, key: K, default: V, /) -> V: ...
    @overload
    def get(self, key: K, default: D, /) -> V | D: ...
    def get(self, key: K, default: object = None, /) -> object:
        """Like ``dict.get``, and a read makes the entry the most recent."""
        try:
            return self[key]
        except KeyError:
            return default

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)

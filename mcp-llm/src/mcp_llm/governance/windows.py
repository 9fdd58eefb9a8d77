"""Calendar windows in UTC: the minute, day and month a quota counts in, and when each resets.

Fixed calendar windows (rather than sliding ones) are what billing speaks ("per month"), and they
make "resets at" an exact instant every replica agrees on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mcp_llm.settings.governance import QuotaWindow


@dataclass(frozen=True, slots=True)
class WindowSpan:
    """One window: a label for counter keys and its start and end as epoch seconds."""

    label: str
    start: float
    end: float


_cache: dict[tuple[QuotaWindow, int], WindowSpan] = {}


def window_span(window: QuotaWindow, now: float) -> WindowSpan:
    """The window containing ``now``; computed once per minute and window (every call asks)."""
    minute = int(now // 60)
    found = _cache.get((window, minute))
    if found is None:
        if len(_cache) > 64:
            _cache.clear()
        found = _cache[(window, minute)] = _compute(window, now)
    return found


def _compute(window: QuotaWindow, now: float) -> WindowSpan:
    moment = datetime.fromtimestamp(now, tz=UTC)
    if window == "minute":
        start = moment.replace(second=0, microsecond=0)
        end = start + timedelta(minutes=1)
        label = start.strftime("%Y%m%d%H%M")
    elif window == "day":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=1)
        label = start.strftime("%Y%m%d")
    else:
        start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
        label = start.strftime("%Y%m")
    return WindowSpan(label, start.timestamp(), end.timestamp())


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

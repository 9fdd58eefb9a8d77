"""Reading the plain-HTTP tools' server-sent events in tests."""

from __future__ import annotations

import json


def sse_events(text: str) -> list[tuple[str, dict]]:
    """``(event, data)`` pairs of an SSE body whose data lines are JSON."""
    events = []
    for frame in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events

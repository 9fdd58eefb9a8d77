"""Server-sent events framing for streaming tool calls over plain HTTP."""

from __future__ import annotations

import json
from typing import Any


def sse_frame(event: str, data: Any) -> bytes:
    """One ``event:``/``data:`` frame; the JSON payload is a single line, so it needs no splitting."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()

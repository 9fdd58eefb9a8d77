"""The canonical digest of a completion request: what the cache and recordings key answers by.

It sits below both the gateway (the cache) and the providers (recording and replay), so the two agree
on when two requests are the same without either importing the other.
"""

from __future__ import annotations

import hashlib
import json

from mcp_shared.models import ChatMessage, GenerationParams


def request_digest(messages: list[ChatMessage] | tuple[ChatMessage, ...], params: GenerationParams) -> str:
    """SHA-256 of the canonical JSON of the messages and all output-affecting parameters."""
    dumped = params.model_dump(mode="json")
    if dumped.get("response_format") is None:
        # Left out when unset, so the keys of cache entries and recordings made before the field existed
        # still match the same requests.
        dumped.pop("response_format", None)
    canonical = {"messages": [[m.role, m.content] for m in messages], "params": dumped}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

"""Whether a stateless MCP POST is answered with one JSON body or on an SSE stream.

The SDK answers every POST on an SSE stream, or every one with a single JSON body. The stream exists to
carry what is sent during a call; a stateless server sends no requests back, and these servers' tools
send only progress, which a request without a ``progressToken`` never receives. Such a request (most
calls: every ``complete`` that is not streamed) gets the same answer as one JSON body, which skips the
SDK's per-request SSE machinery (a task group, a ping task and a frame per message) and takes about a
millisecond off each call. A request asking for progress, a batch, or anything unreadable keeps the
stream, where the SDK handles it as before. Both forms are the protocol's: a client must accept both.
"""

from __future__ import annotations

import json

from starlette.types import Message, Receive, Scope


async def read_buffered(receive: Receive, limit: int) -> tuple[list[Message], bytes | None]:
    """The request's body messages as received, and the whole body, or None once it passes ``limit``
    (the SDK then refuses it, reading on from the same messages)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if size > limit:
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(m.get("body", b"") for m in messages)


def replaying(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out ``messages`` again, then what the client sends next."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def answers_in_one_body(scope: Scope, body: bytes | None) -> bool:
    """True for a POST of one JSON-RPC request that asks for no progress, from a client accepting JSON."""
    if body is None or scope["method"] != "POST":
        return False
    accept = next((v for k, v in scope["headers"] if k == b"accept"), b"")
    if b"application/json" not in accept:
        return False
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):  # the SDK answers what it cannot read (deep nesting included)
        return False
    if not isinstance(message, dict) or "method" not in message or "id" not in message:
        return False
    params = message.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    return not (isinstance(meta, dict) and meta.get("progressToken") is not None)

"""The stdio transport's answer to lines that are not JSON-RPC.

The SDK's stdio reader hands a line it cannot parse to the server as an exception, and the server
drops it: the client waits forever for an answer that never comes. JSON-RPC says such a line gets
an error with ``"id": null`` (-32700 when it is not JSON at all, or nested too deep to read; -32600
when it is JSON but not a JSON-RPC message). ``AnsweringReadStream`` sends that error and goes on
reading, so one bad line costs one error reply, never the connection.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types as types
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

if TYPE_CHECKING:  # the SDK's stream protocols live in a private module: only the type checker reads it
    from mcp.shared._stream_protocols import ReadStream, WriteStream

Incoming = SessionMessage | Exception


def malformed_reply(exc: Exception) -> types.JSONRPCError:
    """The JSON-RPC error for a line that could not be read as a message (the line is not echoed)."""
    if isinstance(exc, ValidationError):
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        if any(e["type"] == "json_invalid" for e in errors):
            reason = errors[0]["msg"]
            return _error(types.PARSE_ERROR, f"Parse error: {reason}")
        return _error(types.INVALID_REQUEST, "Invalid request: not a JSON-RPC 2.0 message")
    return _error(types.PARSE_ERROR, f"Parse error: {type(exc).__name__}")


def _error(code: int, message: str) -> types.JSONRPCError:
    return types.JSONRPCError(jsonrpc="2.0", id=None, error=types.ErrorData(code=code, message=message))


class AnsweringReadStream:
    """The server's read stream: messages pass through; a line that failed to parse is answered."""

    def __init__(self, inner: ReadStream[Incoming], replies: WriteStream[SessionMessage]) -> None:
        self._inner = inner
        self._replies = replies

    @property
    def last_context(self) -> Any:
        """The sender's context, as the SDK's own streams expose it."""
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> Incoming:
        while True:
            item = await self._inner.receive()
            if not isinstance(item, Exception):
                return item
            await self._replies.send(SessionMessage(malformed_reply(item)))

    def __aiter__(self) -> AnsweringReadStream:
        return self

    async def __anext__(self) -> Incoming:
        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> AnsweringReadStream:
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None:
        return await self._inner.__aexit__(exc_type, exc_val, exc_tb)

"""An HTTP transport that turns a failed exchange with mcp-llm into a JSON-RPC error for that call alone.

The SDK's streamable HTTP client lets a connection error escape its task group, which tears the
whole ``Client`` down and every call in flight with it. Answering such a failure with a 503 that
carries a JSON-RPC error instead confines it to the one call that met it; the ``Client`` stays
usable and simply reaches mcp-llm again once it is back.
"""

from __future__ import annotations

import httpx2

UNREACHABLE = -32050
"""JSON-RPC error code (implementation-defined range) for "mcp-llm could not be reached"."""


class ResilientTransport(httpx2.AsyncBaseTransport):
    """Wraps the pooled transport; network failures become error responses instead of exceptions."""

    def __init__(self, limits: httpx2.Limits) -> None:
        self._inner = httpx2.AsyncHTTPTransport(limits=limits)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return await self._inner.handle_async_request(request)
        except httpx2.TransportError as exc:
            body = {
                "jsonrpc": "2.0",
                "id": None,
                "error": {
                    "code": UNREACHABLE,
                    "message": f"mcp-llm unreachable ({type(exc).__name__})",
                    "data": {"cause": type(exc).__name__},
                },
            }
            return httpx2.Response(503, json=body, request=request)

    async def aclose(self) -> None:
        await self._inner.aclose()

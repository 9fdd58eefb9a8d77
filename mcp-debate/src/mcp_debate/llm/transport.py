"""An HTTP transport that turns a failed exchange with mcp-llm into a JSON-RPC error for that call alone.

It also names a refusal of our credentials (HTTP 401/403 from mcp-llm's API keys) as such, so the
caller hears "set LLM_SERVICE_API_KEY", not "unreachable".

The SDK's streamable HTTP client lets a connection error escape its task group, which tears the
whole ``Client`` down and every call in flight with it. Answering such a failure with a 503 that
carries a JSON-RPC error instead confines it to the one call that met it; the ``Client`` stays
usable and simply reaches mcp-llm again once it is back.
"""

from __future__ import annotations

import httpx2

UNREACHABLE = -32050
"""JSON-RPC error code (implementation-defined range) for "mcp-llm could not be reached"."""
REJECTED = -32051
"""JSON-RPC error code for "mcp-llm refused our credentials" (API keys on, ours missing or wrong)."""


def _jsonrpc_error(
    status: int, code: int, message: str, cause: str, request: httpx2.Request
) -> httpx2.Response:
    body = {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": code, "message": message, "data": {"cause": cause}},
    }
    return httpx2.Response(status, json=body, request=request)


class ResilientTransport(httpx2.AsyncBaseTransport):
    """Wraps the pooled transport; network failures become error responses instead of exceptions."""

    def __init__(self, limits: httpx2.Limits) -> None:
        self._inner = httpx2.AsyncHTTPTransport(limits=limits)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            response = await self._inner.handle_async_request(request)
        except httpx2.TransportError as exc:
            name = type(exc).__name__
            return _jsonrpc_error(503, UNREACHABLE, f"mcp-llm unreachable ({name})", name, request)
        if response.status_code in (401, 403):
            await response.aclose()
            return _jsonrpc_error(
                response.status_code,
                REJECTED,
                "mcp-llm refused the credentials",
                f"HTTP {response.status_code}",
                request,
            )
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()

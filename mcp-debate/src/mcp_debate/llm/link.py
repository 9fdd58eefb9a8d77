"""One long-lived MCP ``Client`` to mcp-llm, owned by a task of its own so it can be rebuilt.

The client uses the SDK's default ("auto") mode: on the 2026 stateless protocol every call stands
alone, so a restart of mcp-llm does not invalidate it. It is opened on first use (the debate
service starts whether or not mcp-llm is up) and, should it ever die, discarded and opened again
by the next call. An anyio task group must be entered and left by the same task, hence the owner task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import Implementation

from mcp_debate import __version__
from mcp_debate.llm.transport import REJECTED, UNREACHABLE, ResilientTransport

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0


class LinkDown(Exception):
    """The MCP client to mcp-llm could not be opened; ``rejected`` when mcp-llm refused our credentials."""

    def __init__(self, message: str, *, rejected: bool = False) -> None:
        super().__init__(message)
        self.rejected = rejected


class McpLink:
    """Hands out the live client, opening it on demand."""

    def __init__(
        self, url: str, *, max_connections: int, read_timeout: float, api_key: str | None = None
    ) -> None:
        self.url = url
        self._http = httpx2.AsyncClient(
            headers={"Authorization": f"Bearer {api_key}"} if api_key else None,
            transport=ResilientTransport(
                httpx2.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
            ),
            timeout=httpx2.Timeout(CONNECT_TIMEOUT, read=read_timeout),
        )
        self._client: Client | None = None
        self._owner: asyncio.Task[None] | None = None
        self._release = asyncio.Event()
        self._opening = asyncio.Lock()

    async def client(self) -> Client:
        """The open client; opens one (raising :class:`LinkDown` if that fails) when there is none."""
        if self._client is not None:
            return self._client
        async with self._opening:
            if self._client is not None:
                return self._client
            ready: asyncio.Future[Client] = asyncio.get_running_loop().create_future()
            self._release = asyncio.Event()
            self._owner = asyncio.create_task(self._own(ready, self._release), name="mcp-llm-link")
            return await asyncio.shield(ready)

    def discard(self, client: Client) -> None:
        """Forget a client that proved broken; the next call opens a new one."""
        if self._client is client:
            logger.warning("connection to mcp-llm lost; reopening on the next call")
            self._client = None
            self._release.set()

    async def aclose(self) -> None:
        self._client = None
        self._release.set()
        if self._owner is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._owner, timeout=5)
        await self._http.aclose()

    async def _own(self, ready: asyncio.Future[Client], release: asyncio.Event) -> None:
        client: Client | None = None
        try:
            async with Client(
                streamable_http_client(self.url, http_client=self._http),
                cache=None,
                client_info=Implementation(name="mcp-debate", version=__version__),
            ) as client:
                self._client = client
                if not ready.done():
                    ready.set_result(client)
                await release.wait()
        except Exception as exc:  # ExceptionGroup included: the SDK reports connect failures that way
            if not ready.done():
                ready.set_exception(LinkDown(_describe(exc), rejected=_rejected(exc)))
            else:
                logger.warning("MCP client to mcp-llm stopped: %s", _describe(exc))
        finally:
            if not ready.done():
                ready.set_exception(LinkDown("closed while connecting"))
            if self._client is client:
                self._client = None


def _rejected(exc: BaseException) -> bool:
    """Whether mcp-llm refused the credentials (somewhere inside a possibly grouped exception)."""
    if isinstance(exc, BaseExceptionGroup):
        return any(_rejected(e) for e in exc.exceptions)
    return isinstance(exc, MCPError) and exc.code == REJECTED


def _describe(exc: BaseException) -> str:
    """The innermost causes of an (possibly grouped) exception, for a one-line message."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    if isinstance(exc, MCPError) and exc.code == UNREACHABLE and isinstance(exc.data, dict):
        return str(exc.data.get("cause", "unreachable"))
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text

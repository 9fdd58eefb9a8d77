"""The MCP client ``mcp-debate run`` reaches mcp-debate with, presenting ``MCP_DEBATE_API_KEY`` when set.

The key comes from the environment, never a flag, so it stays out of shell history and process lists.
The SDK reports an HTTP 401 only as a generic error, so the connection notes refusals itself and the
command can say which setting fixes them.
"""

from __future__ import annotations

import contextlib
import os

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_debate.cli.errors import EXIT_USAGE, CliError
from mcp_shared.redaction import register_secret

API_KEY_VARIABLE = "MCP_DEBATE_API_KEY"
KEY_HINT = "a key from `mcp-debate keygen` whose entry is in the service's API_KEYS"


class Connection:
    """Opens the client; remembers whether mcp-debate refused the credentials."""

    def __init__(self, url: str, *, remote: bool) -> None:
        self.url = url
        self.key = os.environ.get(API_KEY_VARIABLE) if remote else None
        self.refused = False
        if self.key:
            register_secret(self.key)

    async def open(self, stack: contextlib.AsyncExitStack) -> Client:
        http = httpx2.AsyncClient(
            headers={"Authorization": f"Bearer {self.key}"} if self.key else None,
            timeout=httpx2.Timeout(30.0, read=300.0),  # the SDK's own defaults for MCP over HTTP
            event_hooks={"response": [self._note]},
        )
        await stack.enter_async_context(http)
        return await stack.enter_async_context(
            Client(streamable_http_client(self.url, http_client=http), cache=None)
        )

    async def _note(self, response: httpx2.Response) -> None:
        if response.status_code in (401, 403):
            self.refused = True

    def refusal(self) -> CliError:
        if self.key:
            return CliError(
                f"mcp-debate at {self.url} refused the key in {API_KEY_VARIABLE}",
                exit_code=EXIT_USAGE,
                hint=f"set {API_KEY_VARIABLE} to {KEY_HINT}",
            )
        return CliError(
            f"mcp-debate at {self.url} requires an API key",
            exit_code=EXIT_USAGE,
            hint=f"set {API_KEY_VARIABLE} to {KEY_HINT}",
        )

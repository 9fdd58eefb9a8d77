"""``LLMServiceClient``: the debate service's only way to an LLM, through mcp-llm's tools over MCP.

Calls are retried only when mcp-llm could not be reached (down, restarting, a connection reset),
with jittered exponential backoff. An error mcp-llm answers with (a provider's rate limit, outage or
timeout) comes after mcp-llm's own retries and is not retried again here: three attempts on each side
would make nine provider calls of one failing turn. A streamed call is retried only before its first
chunk has been passed on, so a caller never sees text twice. Every error that leaves names the debate
and participant it belongs to.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mcp import Client

from mcp_debate.llm.errors import (
    CallScope,
    GatewayAnswered,
    from_link_failure,
    from_tool_error,
    is_retryable,
    rejected_credentials,
    scoped,
)
from mcp_debate.llm.link import LinkDown, McpLink
from mcp_shared.errors import InternalError, ProviderUnavailableError, ServiceError
from mcp_shared.models import ChatMessage, CompletionRequest, CompletionResponse

logger = logging.getLogger(__name__)

DeltaSink = Callable[[str], Awaitable[None]]
PROVIDERS_URI = "llm://providers"
T = TypeVar("T")

__all__ = ["CallScope", "DeltaSink", "LLMServiceClient", "RetryPolicy", "TokenCount"]


@dataclass(frozen=True, slots=True)
class TokenCount:
    tokens: int
    method: str


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    initial_wait: float = 0.5
    max_wait: float = 10.0

    def wait_before(self, attempt: int, error: ServiceError) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None to give up."""
        if attempt >= self.attempts or not is_retryable(error):
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_wait else None
        ceiling = min(self.max_wait, self.initial_wait * 2 ** (attempt - 1))
        return ceiling / 2 + random.random() * ceiling / 2


class LLMServiceClient:
    """complete, stream_complete, list_models and estimate_tokens on mcp-llm; retried, errors scoped."""

    def __init__(
        self,
        url: str,
        *,
        max_connections: int,
        call_timeout: float,
        retry: RetryPolicy,
        api_key: str | None = None,
    ) -> None:
        self.url = url
        self.call_timeout = call_timeout
        self.retry = retry
        self._link = McpLink(url, max_connections=max_connections, read_timeout=call_timeout, api_key=api_key)
        self.retries = 0
        """Retries made since start (exported as a metric)."""

    async def aclose(self) -> None:
        await self._link.aclose()

    async def complete(
        self, request: CompletionRequest, scope: CallScope, on_delta: DeltaSink | None = None
    ) -> CompletionResponse:
        """One completion, billed to the scope's organization; streamed through ``on_delta`` when given."""
        args = request.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        args["messages"] = [m.model_dump() for m in request.messages]
        if scope.organization is not None:
            args.setdefault("organization_id", scope.organization)
        if scope.episode is not None:
            args.setdefault("episode_id", scope.episode)
        if on_delta is None:
            payload = await self._tool("complete", args, scope)
        else:
            payload = await self._stream("stream_complete", args, scope, on_delta)
        try:
            return CompletionResponse.model_validate(payload)
        except ValueError as exc:
            raise scoped(InternalError(f"mcp-llm returned an unexpected result: {exc}"), scope) from None

    async def call_tool(self, tool: str, args: dict[str, Any], scope: CallScope) -> dict[str, Any]:
        """Any mcp-llm tool by name (the evaluate tool's calls: complete, record_feedback), billed and
        rated for the scope's organization."""
        if scope.organization is not None:
            args = {**args, "organization_id": scope.organization}
        return await self._tool(tool, args, scope)

    async def list_models(self, provider: str | None, scope: CallScope) -> dict[str, Any]:
        """mcp-llm's ``list_models`` for one provider, or for every provider when ``provider`` is None."""
        return await self._tool("list_models", {"provider": provider} if provider else {}, scope)

    async def providers(self, scope: CallScope) -> list[dict[str, Any]]:
        """mcp-llm's ``llm://providers`` resource: every provider, its aliases, default model, state."""

        async def read(client: Client) -> list[dict[str, Any]]:
            result = await client.read_resource(PROVIDERS_URI)
            text = "".join(getattr(c, "text", "") for c in result.contents)
            return list(json.loads(text)["providers"])

        return await self._with_retries(read, scope)

    async def estimate_tokens(
        self, provider: str, model: str, messages: list[ChatMessage], scope: CallScope
    ) -> TokenCount:
        payload = await self._tool(
            "estimate_tokens",
            {"provider": provider, "model": model, "messages": [m.model_dump() for m in messages]},
            scope,
        )
        return TokenCount(int(payload["tokens"]), str(payload["method"]))

    async def ping(self, within: float = 3.0) -> None:
        """Raise unless mcp-llm answers an MCP request within ``within`` seconds."""

        async def list_tools(client: Client) -> None:
            await client.list_tools()

        async with asyncio.timeout(within):
            await self._once(list_tools)

    # -- plumbing ---------------------------------------------------------------------------

    async def _tool(self, tool: str, args: dict[str, Any], scope: CallScope) -> dict[str, Any]:
        async def call(client: Client) -> dict[str, Any]:
            result = await client.call_tool(tool, args, read_timeout_seconds=self.call_timeout)
            return _structured(tool, result)

        return await self._with_retries(call, scope)

    async def _stream(
        self, tool: str, args: dict[str, Any], scope: CallScope, on_delta: DeltaSink
    ) -> dict[str, Any]:
        streamed = False

        async def progress(progress: float, total: float | None, message: str | None) -> None:
            nonlocal streamed
            if message:
                streamed = True
                await on_delta(message)

        async def call(client: Client) -> dict[str, Any]:
            result = await client.call_tool(
                tool, args, read_timeout_seconds=self.call_timeout, progress_callback=progress
            )
            return _structured(tool, result)

        return await self._with_retries(call, scope, may_retry=lambda: not streamed)

    async def _with_retries(
        self,
        operation: Callable[[Client], Awaitable[T]],
        scope: CallScope,
        may_retry: Callable[[], bool] = lambda: True,
    ) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._once(operation)
            except GatewayAnswered as answered:
                raise scoped(answered.error, scope) from None
            except ServiceError as error:  # mcp-llm was not reached
                wait = self.retry.wait_before(attempt, error) if may_retry() else None
                if wait is None:
                    raise scoped(error, scope) from None
                self.retries += 1
                logger.info(
                    "retrying mcp-llm call",
                    extra={"attempt": attempt, "wait_s": round(wait, 3), "error": error.message},
                )
                await asyncio.sleep(wait)

    async def _once(self, operation: Callable[[Client], Awaitable[T]]) -> T:
        """One attempt: an error mcp-llm answered with comes out as :class:`GatewayAnswered`, a failure
        to reach it as a :class:`ServiceError`."""
        try:
            client = await self._link.client()
        except LinkDown as exc:
            if exc.rejected:
                raise rejected_credentials(self.url) from None
            raise ProviderUnavailableError(
                f"mcp-llm at {self.url} is unreachable ({exc})", status=503
            ) from None
        try:
            return await operation(client)
        except (ServiceError, GatewayAnswered):
            raise
        except Exception as exc:
            error, broken = from_link_failure(exc, self.url, self.call_timeout)
            if broken:
                self._link.discard(client)
            raise error from None


def _structured(tool: str, result: Any) -> dict[str, Any]:
    if result.is_error:
        raise GatewayAnswered(from_tool_error(result))
    if result.structured_content is None:
        raise InternalError(f"mcp-llm returned no structured result for {tool}")
    return dict(result.structured_content)

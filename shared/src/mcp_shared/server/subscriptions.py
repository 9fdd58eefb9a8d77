"""Resource change notifications for services built on the low-level Server, in both protocol eras.

Handshake era: ``resources/subscribe`` on a session, then ``notifications/resources/updated`` on that
session's standalone channel (stdio, or the GET stream of a stateful HTTP session). 2026 era:
``subscriptions/listen``, whose response stream carries the notifications. A service that offers
either exposes a :class:`ResourceSubscriptions` as its ``subscriptions`` attribute; the MCP adapter
wires its three handlers, and the service decides who may follow what (organizations, ownership).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError

from mcp_shared.errors import ServiceError

Context = ServerRequestContext[Any, Any]


class ResourceSubscriptions(Protocol):
    """Who follows which resource URI, for one service."""

    async def subscribe(self, ctx: Context, uri: str, organization: str | None) -> None:
        """Handshake era: start sending this session ``notifications/resources/updated`` for ``uri``."""

    async def unsubscribe(self, ctx: Context, uri: str, organization: str | None) -> None:
        """Handshake era: stop them."""

    async def listen(
        self, ctx: Context, params: types.SubscriptionsListenRequestParams, organization: str | None
    ) -> types.SubscriptionsListenResult:
        """2026 era: serve one ``subscriptions/listen`` stream until the client closes it."""


def subscription_handlers(
    subscriptions: ResourceSubscriptions,
    organization_of: Callable[[Context], str | None],
    to_error: Callable[[ServiceError], MCPError],
) -> dict[str, Callable[..., Awaitable[Any]]]:
    """The low-level Server's keyword arguments serving ``subscriptions``; refusals become JSON-RPC errors."""

    async def on_subscribe(ctx: Context, params: types.SubscribeRequestParams) -> types.EmptyResult:
        try:
            await subscriptions.subscribe(ctx, str(params.uri), organization_of(ctx))
        except ServiceError as exc:
            raise to_error(exc) from None
        return types.EmptyResult()

    async def on_unsubscribe(ctx: Context, params: types.UnsubscribeRequestParams) -> types.EmptyResult:
        try:
            await subscriptions.unsubscribe(ctx, str(params.uri), organization_of(ctx))
        except ServiceError as exc:
            raise to_error(exc) from None
        return types.EmptyResult()

    async def on_listen(
        ctx: Context, params: types.SubscriptionsListenRequestParams
    ) -> types.SubscriptionsListenResult:
        try:
            return await subscriptions.listen(ctx, params, organization_of(ctx))
        except ServiceError as exc:
            raise to_error(exc) from None

    return {
        "on_subscribe_resource": on_subscribe,
        "on_unsubscribe_resource": on_unsubscribe,
        "on_subscriptions_listen": on_listen,
    }

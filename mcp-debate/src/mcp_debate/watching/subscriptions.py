"""MCP resource subscriptions to ``debates://`` URIs, in both protocol eras, scoped to organizations.

When a write commits, the hub tells this module which debates changed; it notifies the followers of
``debates://{id}``, of ``debates://{id}/messages`` when a message was added, and of ``debates://list``.
Followers are kept per organization, and a subscription is accepted only for a debate the caller's
organization owns, so nobody learns that another organization's debate exists or moves.

- Handshake era: ``resources/subscribe`` records the client's connection; notifications go out on it
  (stdio, or the session's GET stream over HTTP) and the record goes when the connection closes.
- 2026 era: ``subscriptions/listen`` is served by the SDK's listen handler over a bus of the caller's
  organization; the stream is the response to that request.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.session import ServerSession
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ResourceUpdated

from mcp_debate.access import caller_organization
from mcp_debate.orchestrator import Orchestrator
from mcp_debate.store import debates as debate_rows
from mcp_debate.store.changes import Change
from mcp_shared.errors import InvalidRequestError, NotFoundError
from mcp_shared.server.resources import ResourceRegistry

logger = logging.getLogger(__name__)

Context = ServerRequestContext[Any, Any]

LIST_URI = "debates://list"
MAX_PER_CONNECTION = 256
"""Resources one handshake-era connection may follow at once."""
_OWNERS_CACHED = 10_000


class DebateSubscriptions:
    """``resources/subscribe``, ``resources/unsubscribe`` and ``subscriptions/listen`` for mcp-debate."""

    def __init__(self, orc: Orchestrator, resources: ResourceRegistry) -> None:
        self._orc = orc
        self._resources = resources
        """The service's resources: a followed URI is matched and validated like a read of it."""
        # organization -> uri -> connection -> a session of that connection (its standalone channel)
        self._sessions: dict[str, dict[str, dict[object, ServerSession]]] = defaultdict(dict)
        self._counts: dict[object, int] = defaultdict(int)
        self._buses: dict[str, InMemorySubscriptionBus] = {}
        self._listeners: dict[str, ListenHandler] = {}
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        orc.hub.add_listener(self._changed)

    # -- handshake era -----------------------------------------------------------------------

    async def subscribe(self, ctx: Context, uri: str, organization: str | None) -> None:
        org = caller_organization(organization)
        await self._check(uri, org)
        connection = _connection_of(ctx.session)
        followers = self._sessions[org].setdefault(uri, {})
        if connection in followers:
            return
        if self._counts[connection] >= MAX_PER_CONNECTION:
            raise InvalidRequestError(
                f"this connection already follows {MAX_PER_CONNECTION} resources; "
                "unsubscribe from some first",
                status=429,
                details={"field": "uri"},
            )
        if self._counts[connection] == 0:
            _on_close(connection, lambda: self._forget(connection))
        followers[connection] = ctx.session
        self._counts[connection] += 1

    async def unsubscribe(self, ctx: Context, uri: str, organization: str | None) -> None:
        org = caller_organization(organization)
        connection = _connection_of(ctx.session)
        if self._sessions[org].get(uri, {}).pop(connection, None) is not None:
            self._counts[connection] -= 1

    def _forget(self, connection: object) -> None:
        for by_uri in self._sessions.values():
            for followers in by_uri.values():
                followers.pop(connection, None)
        self._counts.pop(connection, None)

    # -- 2026 era ----------------------------------------------------------------------------

    async def listen(
        self, ctx: Context, params: types.SubscriptionsListenRequestParams, organization: str | None
    ) -> types.SubscriptionsListenResult:
        org = caller_organization(organization)
        for uri in params.notifications.resource_subscriptions or ():
            await self._check(uri, org)
        handler = self._listeners.get(org)
        if handler is None:
            bus = self._buses[org] = InMemorySubscriptionBus()
            handler = self._listeners[org] = ListenHandler(bus)
        return await handler(ctx, params)

    def close(self) -> None:
        """End every listen stream gracefully (the service is stopping)."""
        for handler in self._listeners.values():
            handler.close()

    # -- changes -----------------------------------------------------------------------------

    def _changed(self, changes: list[Change]) -> None:
        if not self._buses and not any(self._counts.values()):
            return  # nobody follows anything: no lookups
        task = asyncio.get_running_loop().create_task(self._notify(changes))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self, changes: list[Change]) -> None:
        for change in changes:
            org = await self._owner(change.debate_id)
            if org is None:
                continue
            uris = [f"debates://{change.debate_id}", LIST_URI]
            if change.messages:
                uris.insert(1, f"debates://{change.debate_id}/messages")
            for uri in uris:
                await self._send(org, uri)

    async def _send(self, org: str, uri: str) -> None:
        bus = self._buses.get(org)
        if bus is not None:
            await bus.publish(ResourceUpdated(uri=uri))
        for connection, session in list(self._sessions[org].get(uri, {}).items()):
            try:
                await session.send_resource_updated(uri)
            except Exception:  # the connection went away without closing cleanly
                logger.info("dropping the subscriptions of a connection that cannot be reached")
                self._forget(connection)

    async def _owner(self, debate_id: str) -> str | None:
        """The organization owning a debate (cached: a debate never changes hands)."""
        org = self._owners.get(debate_id)
        if org is None:
            async with self._orc.db.read() as conn:
                org = await debate_rows.organization_of(conn, debate_id)
            if org is None:
                return None
            self._owners[debate_id] = org
            if len(self._owners) > _OWNERS_CACHED:
                self._owners.popitem(last=False)
        return org

    async def _check(self, uri: str, org: str) -> None:
        """Accept ``debates://list`` and the resources of a debate ``org`` owns; refuse anything else."""
        if uri == LIST_URI:
            return
        if not uri.startswith("debates://"):
            raise NotFoundError(f"unknown resource '{uri}': only debates:// resources can be followed")
        _, params = self._resources.resolve(uri)
        if "id" not in params:
            raise NotFoundError(f"unknown resource '{uri}'")
        await self._orc.check_access(params["id"], org)


def _connection_of(session: ServerSession) -> object:
    """The connection a request came on: one ServerSession is made per request, the connection lasts."""
    return getattr(session, "_connection", session)


def _on_close(connection: object, callback: Callable[[], None]) -> None:
    """Run ``callback`` when the connection closes (its exit stack unwinds), where the SDK offers it."""
    stack = getattr(connection, "exit_stack", None)
    if stack is not None:
        stack.callback(callback)

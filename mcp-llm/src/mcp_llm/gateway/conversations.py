"""The exchanges sent with a ``conversation_id``, readable at ``llm://conversations/{id}``.

A conversation belongs to the organization its calls are billed to: the same id used by two
organizations is two conversations, and neither can read, fill or evict the other's. Bounded three
times: each conversation keeps its last ``max_exchanges``, expires ``ttl`` seconds after its last
exchange, and each organization keeps its ``max_per_organization`` most recently used conversations
(older ones are dropped, its own and nobody else's). Redis when configured (a list per conversation
and a sorted index per organization), memory otherwise (with a bound on the total as well).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

from pydantic import BaseModel

from mcp_llm.state.redis_link import RedisLink
from mcp_shared.models import ChatMessage, Usage

if TYPE_CHECKING:
    from redis.asyncio import Redis

MEMORY_TOTAL_CONVERSATIONS = 10_000
"""In-process bound over every organization: when reached, the organization holding the most gives one up."""


class Exchange(BaseModel):
    """One call within a conversation: what was sent and what came back."""

    request_id: str
    at: float
    organization_id: str
    provider: str
    model: str
    messages: list[ChatMessage]
    content: str
    finish_reason: str
    usage: Usage
    cost_usd: float
    cached: bool


class ConversationStore(Protocol):
    async def append(self, organization: str, conversation_id: str, exchange: Exchange) -> None: ...
    async def read(self, organization: str, conversation_id: str) -> list[Exchange]: ...


_Log = tuple[float, deque[Exchange]]
"""A conversation in memory: when it expires, and its last exchanges."""


class MemoryConversations:
    """Per organization, conversations in least-recently-used order."""

    def __init__(
        self,
        ttl: int,
        max_exchanges: int,
        max_per_organization: int,
        max_total: int = MEMORY_TOTAL_CONVERSATIONS,
    ) -> None:
        self._ttl = ttl
        self._max = max_exchanges
        self._per_org = max_per_organization
        self._total_limit = max_total
        self._orgs: dict[str, OrderedDict[str, _Log]] = {}
        self._total = 0

    async def append(self, organization: str, conversation_id: str, exchange: Exchange) -> None:
        items = self._orgs.setdefault(organization, OrderedDict())
        now = time.monotonic()
        found = items.pop(conversation_id, None)
        if found is None:
            self._total += 1
        log = found[1] if found is not None and found[0] >= now else deque(maxlen=self._max)
        log.append(exchange)
        items[conversation_id] = (now + self._ttl, log)  # moved to the most recent end
        while len(items) > self._per_org:
            self._drop_oldest(organization)
        while self._total > self._total_limit:
            self._drop_oldest(max(self._orgs, key=lambda org: len(self._orgs[org])))

    def _drop_oldest(self, organization: str) -> None:
        items = self._orgs[organization]
        items.popitem(last=False)
        self._total -= 1
        if not items:
            del self._orgs[organization]

    async def read(self, organization: str, conversation_id: str) -> list[Exchange]:
        items = self._orgs.get(organization)
        found = items.get(conversation_id) if items is not None else None
        if found is None or found[0] < time.monotonic():
            return []
        return list(found[1])


# Appends an exchange, trims the conversation, and keeps the organization's index of conversations
# (scored by last use) within its bound, deleting the lists of the conversations it drops. Both keys
# carry the organization as a hash tag, so the lists it deletes live in the same slot.
_APPEND = """
local list, index = KEYS[1], KEYS[2]
local max_exchanges, ttl, now = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local max_conversations, prefix, member = tonumber(ARGV[5]), ARGV[6], ARGV[7]
redis.call('RPUSH', list, ARGV[1])
redis.call('LTRIM', list, -max_exchanges, -1)
redis.call('EXPIRE', list, ttl)
redis.call('ZADD', index, now, member)
redis.call('ZREMRANGEBYSCORE', index, '-inf', now - ttl)
local excess = redis.call('ZCARD', index) - max_conversations
if excess > 0 then
  for _, old in ipairs(redis.call('ZRANGE', index, 0, excess - 1)) do
    redis.call('DEL', prefix .. old)
  end
  redis.call('ZREMRANGEBYRANK', index, 0, excess - 1)
end
redis.call('EXPIRE', index, ttl)
"""


class RedisConversations:
    """A list per conversation (``llm-conv:{org}:id``) and a sorted set per organization indexing them."""

    def __init__(self, link: RedisLink, ttl: int, max_exchanges: int, max_per_organization: int) -> None:
        self._link = link
        self._ttl = ttl
        self._max = max_exchanges
        self._per_org = max_per_organization
        self._append = link.client.register_script(_APPEND)

    @staticmethod
    def _prefix(organization: str) -> str:
        return f"llm-conv:{{{quote(organization, safe='')}}}:"

    @classmethod
    def _key(cls, organization: str, conversation_id: str) -> str:
        return cls._prefix(organization) + quote(conversation_id, safe="")

    @staticmethod
    def _index(organization: str) -> str:
        return f"llm-conv-index:{{{quote(organization, safe='')}}}"

    async def append(self, organization: str, conversation_id: str, exchange: Exchange) -> None:
        keys = [self._key(organization, conversation_id), self._index(organization)]
        args: list[str | int | float] = [
            exchange.model_dump_json(),
            self._max,
            self._ttl,
            time.time(),
            self._per_org,
            self._prefix(organization),
            quote(conversation_id, safe=""),
        ]

        async def push(client: Redis) -> None:
            await self._append(keys=keys, args=args, client=client)

        await self._link.run(push, None)

    async def read(self, organization: str, conversation_id: str) -> list[Exchange]:
        raw: list[bytes | str] = await self._link.run(
            lambda r: r.lrange(self._key(organization, conversation_id), 0, -1), []
        )
        return [Exchange.model_validate_json(item) for item in raw]

"""The exchanges sent with a ``conversation_id``, readable at ``llm://conversations/{id}``.

Bounded twice: each conversation keeps its last ``max_exchanges`` and expires ``ttl`` seconds
after its last exchange. Redis when configured (a list per conversation), memory otherwise.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from typing import Protocol
from urllib.parse import quote

from pydantic import BaseModel
from redis.asyncio import Redis

from mcp_llm.state.redis_link import RedisLink
from mcp_shared.models import ChatMessage, Usage

_MEMORY_CONVERSATIONS = 10_000


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
    async def append(self, conversation_id: str, exchange: Exchange) -> None: ...
    async def read(self, conversation_id: str) -> list[Exchange]: ...


class MemoryConversations:
    def __init__(self, ttl: int, max_exchanges: int) -> None:
        self._ttl = ttl
        self._max = max_exchanges
        self._items: OrderedDict[str, tuple[float, deque[Exchange]]] = OrderedDict()

    async def append(self, conversation_id: str, exchange: Exchange) -> None:
        _, log = self._items.pop(conversation_id, (0.0, deque(maxlen=self._max)))
        log.append(exchange)
        self._items[conversation_id] = (time.monotonic() + self._ttl, log)
        while len(self._items) > _MEMORY_CONVERSATIONS:
            self._items.popitem(last=False)

    async def read(self, conversation_id: str) -> list[Exchange]:
        found = self._items.get(conversation_id)
        if found is None or found[0] < time.monotonic():
            return []
        return list(found[1])


class RedisConversations:
    def __init__(self, link: RedisLink, ttl: int, max_exchanges: int) -> None:
        self._link = link
        self._ttl = ttl
        self._max = max_exchanges

    @staticmethod
    def _key(conversation_id: str) -> str:
        return f"llm-conv:{quote(conversation_id, safe='')}"

    async def append(self, conversation_id: str, exchange: Exchange) -> None:
        key = self._key(conversation_id)

        async def push(client: Redis) -> None:
            async with client.pipeline(transaction=True) as pipe:
                pipe.rpush(key, exchange.model_dump_json())
                pipe.ltrim(key, -self._max, -1)
                pipe.expire(key, self._ttl)
                await pipe.execute()

        await self._link.run(push, None)

    async def read(self, conversation_id: str) -> list[Exchange]:
        raw: list[bytes | str] = await self._link.run(
            lambda r: r.lrange(self._key(conversation_id), 0, -1), []
        )
        return [Exchange.model_validate_json(item) for item in raw]

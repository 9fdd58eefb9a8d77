"""Conversations kept in real Redis, read back through the MCP resource."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import redis
from mcp import Client

from tests.conftest import RedisServer, ServiceProcess, llm_process

pytestmark = pytest.mark.redis


async def _say(client: Client, organization: str, conversation_id: str, text: str) -> None:
    result = await client.call_tool(
        "complete",
        {
            "provider": "mock",
            "conversation_id": conversation_id,
            "organization_id": organization,
            "messages": [{"role": "user", "content": text}],
        },
    )
    assert not result.is_error, result.content


async def _exchanges(client: Client, uri: str) -> list[str]:
    read = await client.read_resource(uri)
    return [e["messages"][0]["content"] for e in json.loads(read.contents[0].text)["exchanges"]]


async def test_conversation_exchanges_are_kept_in_redis(llm_server_redis: ServiceProcess) -> None:
    conversation_id = f"conv:{time.time_ns()}"  # a colon in the id must not confuse the key layout
    async with Client(llm_server_redis.mcp_url) as client:
        for question in ("one", "two", "three"):
            await _say(client, "acme", conversation_id, question)
        read = await client.read_resource(f"llm://conversations/acme/{conversation_id}")
        # The same id read as the default organization is another organization's (empty) conversation.
        assert await _exchanges(client, f"llm://conversations/{conversation_id}") == []
    exchanges = json.loads(read.contents[0].text)["exchanges"]
    assert [e["messages"][0]["content"] for e in exchanges] == ["one", "two", "three"]
    assert {e["organization_id"] for e in exchanges} == {"acme"}
    assert all(e["usage"]["total_tokens"] > 0 for e in exchanges)


@pytest.fixture
def llm_bounded_conversations(redis_server: RedisServer) -> Iterator[ServiceProcess]:
    proc = llm_process(REDIS_URL=redis_server.url, CONVERSATION_MAX_PER_ORGANIZATION="5").start()
    yield proc
    proc.stop()


async def test_each_organization_keeps_its_most_recent_conversations_in_redis(
    llm_bounded_conversations: ServiceProcess, redis_server: RedisServer
) -> None:
    run = time.time_ns()
    flooder, other = f"flood-{run}", f"quiet-{run}"
    async with Client(llm_bounded_conversations.mcp_url) as client:
        await _say(client, other, "kept", "mine")
        for n in range(5):
            await _say(client, flooder, f"c{n}", f"flood {n}")
        await _say(client, flooder, "c0", "again")  # c0 is the most recent now; c1 and c2 go next
        for n in (5, 6):
            await _say(client, flooder, f"c{n}", f"flood {n}")
        seen = {n: await _exchanges(client, f"llm://conversations/{flooder}/c{n}") for n in range(7)}
        assert await _exchanges(client, f"llm://conversations/{other}/kept") == ["mine"]
    assert [n for n, exchanges in seen.items() if exchanges] == [0, 3, 4, 5, 6]
    assert seen[0] == ["flood 0", "again"]
    stored = redis.Redis.from_url(redis_server.url)
    try:  # dropped conversations are deleted, not merely hidden
        assert len(stored.keys(f"llm-conv:{{{flooder}}}:*")) == 5
    finally:
        stored.close()

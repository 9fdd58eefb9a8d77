"""Conversations kept in real Redis, read back through the MCP resource."""

from __future__ import annotations

import json
import time

import pytest
from mcp import Client

from tests.conftest import ServiceProcess

pytestmark = pytest.mark.redis


async def test_conversation_exchanges_are_kept_in_redis(llm_server_redis: ServiceProcess) -> None:
    conversation_id = f"conv:{time.time_ns()}"  # a colon in the id must not confuse the key layout
    async with Client(llm_server_redis.mcp_url) as client:
        for question in ("one", "two", "three"):
            result = await client.call_tool(
                "complete",
                {
                    "provider": "mock",
                    "conversation_id": conversation_id,
                    "organization_id": "acme",
                    "messages": [{"role": "user", "content": question}],
                },
            )
            assert not result.is_error
        read = await client.read_resource(f"llm://conversations/{conversation_id}")
    exchanges = json.loads(read.contents[0].text)["exchanges"]
    assert [e["messages"][0]["content"] for e in exchanges] == ["one", "two", "three"]
    assert {e["organization_id"] for e in exchanges} == {"acme"}
    assert all(e["usage"]["total_tokens"] > 0 for e in exchanges)

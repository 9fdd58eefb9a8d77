"""The same server over stdio, as Claude Code launches it."""

from __future__ import annotations

import json
import sys

from mcp import Client, StdioServerParameters

from tests.conftest import clean_env

USER = [{"role": "user", "content": "Is nuclear power green?"}]


def stdio_params() -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_llm", "stdio"], env=clean_env(LOG_LEVEL="WARNING")
    )


async def test_tools_streaming_and_resources_over_stdio() -> None:
    async with Client(stdio_params()) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"complete", "stream_complete", "list_models", "estimate_tokens"} <= names

        result = await client.call_tool("complete", {"provider": "mock", "messages": USER})
        assert not result.is_error and result.structured_content["provider"] == "mock"

        chunks: list[str] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            chunks.append(message or "")

        streamed = await client.call_tool(
            "stream_complete",
            {"provider": "mock", "messages": USER, "cache": False},
            progress_callback=on_progress,
        )
        assert len(chunks) >= 3 and "".join(chunks) == streamed.structured_content["content"]

        providers = json.loads((await client.read_resource("llm://providers")).contents[0].text)
        assert any(p["key"] == "mock" and p["configured"] for p in providers["providers"])

        error = await client.call_tool("complete", {"provider": "nope", "messages": USER})
        assert error.is_error and json.loads(error.content[0].text)["error"]["type"] == "invalid_request"

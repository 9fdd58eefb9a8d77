"""Call mcp-llm over MCP: list the tools, ask for a completion, then stream one.

    uv run python examples/llm_complete.py            # against http://localhost:5001/mcp
    MCP_LLM_URL=http://host:5001/mcp uv run python examples/llm_complete.py

Uses the official ``mcp`` client; the mock provider answers when no provider keys are configured.
"""

from __future__ import annotations

import asyncio
import os

from mcp import Client

URL = os.environ.get("MCP_LLM_URL", "http://localhost:5001/mcp")
MESSAGES = [
    {"role": "system", "content": "You answer in one sentence."},
    {"role": "user", "content": "Why is the sky blue?"},
]


async def main() -> None:
    async with Client(URL) as client:
        tools = await client.list_tools()
        print("tools:", ", ".join(t.name for t in tools.tools))

        result = await client.call_tool(
            "complete", {"provider": "mock", "model": "mock-1", "messages": MESSAGES}
        )
        answer = result.structured_content or {}
        print(f"complete -> {answer.get('content')!r}")
        print(f"  {answer.get('usage')} cost=${answer.get('cost_usd')} cached={answer.get('cached')}")

        print("stream_complete -> ", end="", flush=True)

        async def on_chunk(progress: float, total: float | None, message: str | None) -> None:
            print(message or "", end="", flush=True)

        streamed = await client.call_tool(
            "stream_complete",
            {"provider": "mock", "messages": MESSAGES, "cache": False},
            progress_callback=on_chunk,
        )
        print(f"\n  finish_reason={(streamed.structured_content or {}).get('finish_reason')}")


if __name__ == "__main__":
    asyncio.run(main())

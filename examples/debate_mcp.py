"""Run a debate on mcp-debate over MCP: create it, stream the first turn as it is written, run the rest
with one call that reports each turn, then export it.

    uv run python examples/debate_mcp.py              # against http://localhost:5002/mcp (make run)
    MCP_DEBATE_URL=http://host:5002/mcp uv run python examples/debate_mcp.py

Uses the official ``mcp`` client; every participant is on the offline mock provider, so no key is
needed. Swap in a configured provider (``{"provider": "openai", "model": "gpt-5-mini"}``) for real replies.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from mcp import Client

URL = os.environ.get("MCP_DEBATE_URL", "http://localhost:5002/mcp")
DEBATE = {
    "name": "Four-day week",
    "topic": "Should companies move to a four-day working week?",
    "participants": [
        {"name": "Pro", "stance": "for the four-day week", "llm_config": {"provider": "mock"}},
        {"name": "Con", "stance": "against it", "llm_config": {"provider": "mock"}},
    ],
    "rules": ["Be concise.", "Answer the other side's strongest point."],
    "max_rounds": 2,
}


async def call(client: Client, tool: str, args: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A tool's structured result; a failed call carries the contract's error JSON as its text."""
    result = await client.call_tool(tool, args, **kwargs)
    if result.is_error:
        raise RuntimeError(f"{tool} failed: {result.content[0].text}")
    return dict(result.structured_content or {})


async def main() -> None:
    async with Client(URL) as client:
        debate = await call(client, "create_debate", DEBATE)
        debate_id = debate["id"]
        print(f"created {debate_id}: {debate['total_turns']} turns, {debate['next_speaker']} opens")

        # One turn, its text arriving as progress notifications while the model writes it.
        print(f"turn 1 ({debate['next_speaker']}) -> ", end="", flush=True)

        async def on_delta(progress: float, total: float | None, message: str | None) -> None:
            print(message or "", end="", flush=True)

        await call(client, "get_next_turn", {"debate_id": debate_id}, progress_callback=on_delta)
        print()

        # The rest in one call: one progress notification per committed turn.
        async def on_turn(progress: float, total: float | None, message: str | None) -> None:
            print(f"turn -> {message}")

        run = await call(client, "run_debate", {"debate_id": debate_id}, progress_callback=on_turn)
        print(f"run stopped: {run['stopped']}, state {run['state']}, {run['turns_taken']} turns")

        ledger = (await call(client, "get_debate", {"debate_id": debate_id}))["ledger"]["total"]
        print(f"ledger: {ledger['input_tokens'] + ledger['output_tokens']} tokens, ${ledger['cost_usd']:.4f}")

        exported = await call(client, "export_debate", {"debate_id": debate_id, "format": "markdown"})
        print(f"export {exported['filename']} ({len(exported['content'])} characters):")
        print(exported["content"])

        # State also lives in resources.
        resource = await client.read_resource(f"debates://{debate_id}/messages")
        messages = json.loads(resource.contents[0].text)  # type: ignore[union-attr]
        print(f"debates://{debate_id}/messages holds {len(messages['messages'])} messages")


if __name__ == "__main__":
    asyncio.run(main())

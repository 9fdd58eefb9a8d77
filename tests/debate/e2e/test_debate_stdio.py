"""mcp-debate over stdio, as Claude Code launches it, talking to a real mcp-llm over HTTP."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mcp import Client, StdioServerParameters

from tests.conftest import ServiceProcess, clean_env
from tests.debate.conftest import call, debate_args


async def test_a_debate_over_stdio(llm_mock: ServiceProcess, tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_debate", "stdio"],
        env=clean_env(
            LOG_LEVEL="WARNING", LLM_SERVICE_URL=llm_mock.url, DATABASE_PATH=str(tmp_path / "stdio.db")
        ),
    )
    async with Client(params) as client:
        assert "run_debate" in {t.name for t in (await client.list_tools()).tools}
        debate_id = (await call(client, "create_debate", debate_args(max_rounds=1)))["id"]
        chunks: list[str] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            chunks.append(message or "")

        run = await call(client, "run_debate", {"debate_id": debate_id}, progress_callback=on_progress)
        assert run["state"] == "completed" and len(run["messages"]) == 3 and len(chunks) == 3
        listed = json.loads((await client.read_resource("debates://list")).contents[0].text)
        assert [d["id"] for d in listed["debates"]] == [debate_id]
    assert (tmp_path / "stdio.db").exists()

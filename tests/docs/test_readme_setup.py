"""The README's Claude Code set-up works as written: every server of its .mcp.json blocks answers over MCP,
and the `claude mcp add` commands say the same as the blocks."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import ROOT, ServiceProcess, clean_env

README = (ROOT / "README.md").read_text()
PLACEHOLDER = "/path/to/checkout"


def mcp_json_blocks() -> list[dict[str, Any]]:
    blocks = re.findall(r"```json\n(.*?)```", README, flags=re.DOTALL)
    return [json.loads(b)["mcpServers"] for b in blocks if '"mcpServers"' in b]


def claude_commands() -> list[list[str]]:
    return [shlex.split(line) for line in README.splitlines() if line.startswith("claude mcp add ")]


def servers_of(kind: str) -> dict[str, Any]:
    found = [block for block in mcp_json_blocks() if all(s["type"] == kind for s in block.values())]
    assert len(found) == 1, f"expected one {kind} .mcp.json block in the README"
    return found[0]


async def debate_round_trip(client: Client) -> None:
    created = await client.call_tool(
        "create_debate",
        {
            "name": "readme",
            "topic": "Is the README right?",
            "max_rounds": 1,
            "participants": [
                {"name": "Yes", "stance": "it is", "llm_config": {"provider": "mock"}},
                {"name": "No", "stance": "it is not", "llm_config": {"provider": "mock"}},
            ],
        },
    )
    assert not created.is_error, created.content
    turn = await client.call_tool("get_next_turn", {"debate_id": created.structured_content["id"]})
    assert not turn.is_error, turn.content


def test_the_two_blocks_and_the_commands_agree() -> None:
    http, stdio = servers_of("http"), servers_of("stdio")
    assert set(http) == set(stdio) == {"mcp-llm", "mcp-debate"}
    commands = {cmd[3] if cmd[3] != "--transport" else cmd[5]: cmd for cmd in claude_commands()}
    for name, server in http.items():
        assert any(c[-1] == server["url"] and name in c for c in claude_commands())
    for name, server in stdio.items():
        stdio_commands = [c for c in claude_commands() if "--" in c and c[c.index("--") - 1] == name]
        assert stdio_commands, f"no `claude mcp add {name} -- ...` line"
        assert stdio_commands[0][stdio_commands[0].index("--") + 1 :] == [server["command"], *server["args"]]
    assert commands


async def test_http_block_reaches_both_services(
    llm_mock: ServiceProcess, debate_server: ServiceProcess
) -> None:
    ports = {"http://localhost:5001": llm_mock.url, "http://localhost:5002": debate_server.url}
    for name, server in servers_of("http").items():
        url = server["url"]
        for documented, actual in ports.items():
            url = url.replace(documented, actual)
        async with Client(url) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            if name == "mcp-llm":
                assert {"complete", "stream_complete", "list_models", "estimate_tokens"} <= tools
            else:
                await debate_round_trip(client)


@pytest.mark.skipif(shutil.which("uv") is None, reason="the stdio block launches the services with uv")
async def test_stdio_block_starts_both_services(tmp_path) -> None:
    for name, server in servers_of("stdio").items():
        args = [arg.replace(PLACEHOLDER, str(ROOT)) for arg in server["args"]]
        params = StdioServerParameters(
            command=server["command"],
            args=args,
            env=clean_env(LOG_LEVEL="WARNING", DATABASE_PATH=str(tmp_path / "d.db")),
        )
        async with Client(params) as client:
            if name == "mcp-llm":
                result = await client.call_tool(
                    "complete", {"provider": "mock", "messages": [{"role": "user", "content": "hello"}]}
                )
                assert not result.is_error
            else:
                await debate_round_trip(client)

"""Fixtures for mcp-debate: real mcp-llm (mock provider) and mcp-debate processes, SQLite files, clients.

Processes are started by the fixtures and stopped by PID when the fixtures end; MCP clients are
opened inside each test's own task (anyio scopes cannot cross fixture tasks).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from mcp import Client

from tests.conftest import ServiceProcess, debate_process  # noqa: F401  (re-exported for the debate tests)


def participants(*names: str, model: str = "mock-1", **config: Any) -> list[dict[str, Any]]:
    stances = ["for the motion", "against the motion", None, "undecided"]
    return [
        {
            "name": name,
            **({"stance": stances[i % len(stances)]} if stances[i % len(stances)] else {}),
            "llm_config": {"provider": "mock", "model": model, **config},
        }
        for i, name in enumerate(names)
    ]


def debate_args(names: tuple[str, ...] = ("Pro", "Con", "Judge"), **overrides: Any) -> dict[str, Any]:
    model = overrides.pop("model", "mock-1")
    config = overrides.pop("config", {})
    return {
        "name": "City cars",
        "topic": "Should cities ban private cars from their centres?",
        "participants": participants(*names, model=model, **config),
        "rules": ["Be concise.", "Answer the strongest opposing point."],
        "max_rounds": 2,
        **overrides,
    }


def tool_error(result: Any) -> dict[str, Any]:
    """The structured error of a failed MCP tool call."""
    assert result.is_error, result
    return json.loads(result.content[0].text)["error"]


async def call(client: Client, tool: str, args: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A tool call that must succeed; its structured result."""
    result = await client.call_tool(tool, args, **kwargs)
    assert not result.is_error, result.content[0].text
    return dict(result.structured_content or {})


def post(server: ServiceProcess, tool: str, body: dict[str, Any], timeout: float = 60) -> httpx.Response:
    return httpx.post(f"{server.url}/tools/{tool}", json=body, timeout=timeout)


def create(server: ServiceProcess, **overrides: Any) -> dict[str, Any]:
    response = post(server, "create_debate", debate_args(**overrides))
    assert response.status_code == 200, response.text
    return dict(response.json())

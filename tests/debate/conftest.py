"""Fixtures for mcp-debate: real mcp-llm (mock provider) and mcp-debate processes, SQLite files, clients.

Processes are started by the fixtures and stopped by PID when the fixtures end; MCP clients are
opened inside each test's own task (anyio scopes cannot cross fixture tasks).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from tests.conftest import ServiceProcess, clean_env, llm_process
from tests.fakes.server import free_port


def debate_process(
    llm_url: str, database: Path, port: int | None = None, name: str = "mcp-debate", **env: str
) -> ServiceProcess:
    """mcp-debate as its own OS process, on ``database``, talking to mcp-llm at ``llm_url``."""
    port = port or free_port()
    return ServiceProcess(
        name,
        [sys.executable, "-m", "mcp_debate", "serve", "--port", str(port), "--database", str(database)],
        clean_env(
            LOG_LEVEL="INFO",
            LLM_SERVICE_URL=llm_url,
            LLM_RETRY_INITIAL_WAIT="0.05",
            LLM_RETRY_MAX_WAIT="0.5",
            **env,
        ),
        port,
    )


@pytest.fixture(scope="session")
def llm_mock() -> Iterator[ServiceProcess]:
    """mcp-llm on embedded defaults: the offline mock provider, the in-process cache."""
    proc = llm_process().start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def debate_db_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="mcp-debate-") as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def debate_server(llm_mock: ServiceProcess, debate_db_dir: Path) -> Iterator[ServiceProcess]:
    """The shared mcp-debate process for tests that do not stop or kill anything."""
    proc = debate_process(llm_mock.url, debate_db_dir / "shared.db").start()
    yield proc
    proc.stop()


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

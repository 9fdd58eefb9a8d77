"""Input that breaks the protocol itself: every transport answers with a structured error and keeps serving.

Over stdio a line that is not JSON-RPC (garbage, or JSON nested 10,000 deep) gets a JSON-RPC error with
``id: null``; over HTTP deeply nested JSON is a 400 on every route that reads a body.
"""

from __future__ import annotations

import json
import selectors
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServiceProcess, clean_env

DEPTH = 10_000
DEEP_ARRAY = "[" * DEPTH + "]" * DEPTH
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}


class StdioPeer:
    """A server started over stdio, spoken to line by line (no MCP client: it would refuse to send junk)."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self._selector = selectors.DefaultSelector()
        assert self.process.stdout is not None
        self._selector.register(self.process.stdout, selectors.EVENT_READ)

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def reply(self, timeout: float = 20.0) -> dict:
        assert self.process.stdout is not None
        if not self._selector.select(timeout):
            raise TimeoutError("no reply from the server")
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


@pytest.fixture(params=["mcp-llm", "mcp-debate"])
def stdio_peer(
    request: pytest.FixtureRequest, tmp_path: Path, llm_mock: ServiceProcess
) -> Iterator[StdioPeer]:
    if request.param == "mcp-llm":
        peer = StdioPeer(["-m", "mcp_llm", "stdio"], clean_env(LOG_LEVEL="WARNING"))
    else:
        env = clean_env(
            LOG_LEVEL="WARNING", LLM_SERVICE_URL=llm_mock.url, DATABASE_PATH=str(tmp_path / "d.db")
        )
        peer = StdioPeer(["-m", "mcp_debate", "stdio"], env)
    peer.send(json.dumps(INITIALIZE))
    assert peer.reply()["id"] == 1
    peer.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
    yield peer
    peer.close()


def test_stdio_answers_lines_that_are_not_json_rpc_and_keeps_serving(stdio_peer: StdioPeer) -> None:
    deep_request = '{"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": ' + DEEP_ARRAY + "}"
    for line, code in ((deep_request, -32700), ("not json at all", -32700), ('{"hello": "world"}', -32600)):
        stdio_peer.send(line)
        answer = stdio_peer.reply()
        assert answer["jsonrpc"] == "2.0" and answer["id"] is None
        assert answer["error"]["code"] == code and answer["error"]["message"]
        assert len(json.dumps(answer)) < 1000  # the offending line is not echoed back
    stdio_peer.send(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}))
    answer = stdio_peer.reply()
    assert answer["id"] == 3 and answer["result"]["tools"]


@pytest.mark.parametrize("path", ["/tools/complete", "/v1/chat/completions", "/mcp"])
def test_deeply_nested_json_over_http_is_a_400_on_mcp_llm(llm_server: ServiceProcess, path: str) -> None:
    assert_deep_json_refused(llm_server, path)


@pytest.mark.parametrize("path", ["/tools/create_debate", "/tools/add_message", "/mcp"])
def test_deeply_nested_json_over_http_is_a_400_on_mcp_debate(
    debate_server: ServiceProcess, path: str
) -> None:
    assert_deep_json_refused(debate_server, path)


def assert_deep_json_refused(server: ServiceProcess, path: str) -> None:
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    for body in (
        '{"messages": ' + DEEP_ARRAY + "}",
        '{"rules": ' + '{"a": ' * DEPTH + "1" + "}" * DEPTH + "}",
        DEEP_ARRAY,
    ):
        response = httpx.post(f"{server.url}{path}", content=body, headers=headers, timeout=30)
        assert response.status_code == 400, response.text
        assert "error" in response.json() and "Traceback" not in response.text
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200

"""Property-based fuzzing from each tool's own input schema, against both real services, over plain
HTTP and over MCP: no input may produce a 500, an internal error, a stack trace or a hang."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.conftest import ServiceProcess
from tests.fuzz.checks import Finding, check_error_payload, check_text, describe, send
from tests.fuzz.conftest import FUZZ_EXAMPLES, FUZZ_TIMEOUT
from tests.fuzz.strategies import encode, schema_arguments, utf8_encodable

# Each property test tries FUZZ_EXAMPLES inputs for every tool of a service: its time limit grows with them.
pytestmark = pytest.mark.timeout(120 + FUZZ_EXAMPLES)

FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    suppress_health_check=list(HealthCheck),
)


def tools_of(server: ServiceProcess) -> list[dict[str, Any]]:
    """Every tool the service lists (aliases share their tool's schema and handler, so they are skipped)."""
    listing = httpx.get(f"{server.url}/tools", timeout=10).json()["tools"]
    return [tool for tool in listing if not tool["alias_of"]]


def fuzz_each_tool(server: ServiceProcess, attempt: Callable[[str, dict[str, Any]], None]) -> None:
    """Run ``attempt`` on generated arguments for every tool; report every tool's finding at once."""
    findings: list[str] = []
    for tool in tools_of(server):
        try:
            _property(tool, attempt)()
        except Finding as exc:
            findings.append(f"{tool['name']}: {exc}")
    assert not findings, "\n".join(findings)


def _property(tool: dict[str, Any], attempt: Callable[[str, dict[str, Any]], None]) -> Callable[[], None]:
    @FUZZ_SETTINGS
    @given(schema_arguments(tool["input_schema"]))
    def fuzz(args: dict[str, Any]) -> None:
        attempt(tool["name"], args)

    return fuzz


def test_generated_arguments_over_plain_http(fuzz_target: ServiceProcess) -> None:
    with httpx.Client(base_url=fuzz_target.url) as client:

        def attempt(name: str, args: dict[str, Any]) -> None:
            send(client, "POST", f"/tools/{name}", content=encode(args))

        fuzz_each_tool(fuzz_target, attempt)


async def _call_over_mcp(url: str, name: str, args: dict[str, Any]) -> None:
    where = describe("MCP tools/call", name, args)
    async with Client(url) as client:
        try:
            result = await client.call_tool(name, args, read_timeout_seconds=FUZZ_TIMEOUT)
        except MCPError as exc:
            raise Finding(f"protocol error {exc.error.code} for {where}: {exc.error.message}") from None
    text = "".join(getattr(part, "text", "") for part in result.content)
    check_text(text, where)
    if result.is_error:
        try:
            payload = json.loads(text)
        except ValueError:
            raise Finding(f"tool error that is not the structured error for {where}: {text[:300]}") from None
        check_error_payload(payload, 200, where)


def test_generated_arguments_over_mcp(fuzz_target: ServiceProcess) -> None:
    def attempt(name: str, args: dict[str, Any]) -> None:
        # The MCP client encodes its requests as UTF-8: a lone surrogate cannot be sent (HTTP sends it).
        assume(utf8_encodable(args))
        anyio.run(_call_over_mcp, fuzz_target.mcp_url, name, args)

    fuzz_each_tool(fuzz_target, attempt)

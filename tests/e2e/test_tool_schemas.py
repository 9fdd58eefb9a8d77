"""Tool input schemas plain enough for form-building MCP clients (the MCP Inspector, for one).

The rule: an optional argument is one left out of ``required``; no argument (and no field of a nested
object) is a union with ``null`` or defaults to ``null``, so every array, object, string and number
argument shows as its plain type.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client

from tests.conftest import ServiceProcess


def properties(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, schema) of every property: the tool's arguments and the fields of its nested models."""
    for name, prop in schema.get("properties", {}).items():
        yield name, prop
    for model, definition in schema.get("$defs", {}).items():
        for name, prop in definition.get("properties", {}).items():
            yield f"{model}.{name}", prop


def nullable(prop: dict[str, Any]) -> bool:
    branches = prop.get("anyOf", []) + prop.get("oneOf", [])
    return (
        prop.get("type") == "null"
        or (isinstance(prop.get("type"), list) and "null" in prop["type"])
        or any(b.get("type") == "null" for b in branches)
        or ("default" in prop and prop["default"] is None)
    )


@pytest.mark.parametrize("service", ["llm_server", "debate_server"])
async def test_no_argument_is_a_union_with_null(service: str, request: pytest.FixtureRequest) -> None:
    server: ServiceProcess = request.getfixturevalue(service)
    async with Client(server.mcp_url) as client:
        tools = (await client.list_tools()).tools
    assert tools
    offenders = [
        f"{tool.name}: {path}"
        for tool in tools
        for path, prop in properties(tool.input_schema)
        if nullable(prop)
    ]
    assert offenders == []


async def test_optional_arrays_are_plain_arrays(llm_server: ServiceProcess) -> None:
    async with Client(llm_server.mcp_url) as client:
        schemas = {t.name: t.input_schema for t in (await client.list_tools()).tools}
    estimate = schemas["estimate_tokens"]
    assert estimate["properties"]["messages"]["type"] == "array"
    assert "messages" not in estimate.get("required", [])
    assert schemas["complete"]["properties"]["stop"]["type"] == "array"
    # and the server takes what such a schema describes
    async with Client(llm_server.mcp_url) as client:
        counted = await client.call_tool(
            "estimate_tokens",
            {"model": "gpt-5-mini", "messages": [{"role": "user", "content": "Hello there"}]},
        )
    assert not counted.is_error and counted.structured_content["tokens"] > 0

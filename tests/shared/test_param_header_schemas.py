"""``Mcp-Param-*`` header checks: only tools that declare ``x-mcp-header`` parameters hand the SDK a schema.

The SDK validates a call's headers against whatever schema it is given, walking it on every call. For
a tool without annotated parameters that walk can find nothing, so the adapter answers None and the
SDK skips it; these tests hold that the skip never changes a verdict.
"""

from __future__ import annotations

from typing import Any

import pytest
from mcp.shared.inbound import validate_mcp_param_headers
from pydantic import BaseModel, Field

from mcp_shared.server.mcp_adapter import HeaderSchemas
from mcp_shared.server.tools import CallContext, ToolRegistry, ToolSpec


class Routed(BaseModel):
    region: str = Field(json_schema_extra={"x-mcp-header": "Region"})
    text: str


class Plain(BaseModel):
    region: str | None = None
    text: str


async def _answer(args: BaseModel, call: CallContext) -> BaseModel:
    return args


TOOLS = ToolRegistry(
    [
        ToolSpec("routed", "declares a header", Routed, _answer),
        ToolSpec("plain", "declares none", Plain, _answer, aliases=("plain_alias",)),
    ]
)

CASES: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({"region": "eu", "text": "x"}, {}),
    ({"region": "eu", "text": "x"}, {"mcp-param-region": "eu"}),
    ({"region": "eu", "text": "x"}, {"mcp-param-region": "us"}),
    ({"text": "x"}, {"mcp-param-region": "eu"}),
    ({"text": "x"}, {"mcp-param-other": "1"}),
]


def test_only_a_tool_that_declares_header_parameters_gets_a_schema() -> None:
    schemas = HeaderSchemas(TOOLS)
    routed = schemas("routed")
    assert routed is not None and routed["properties"]["region"]["x-mcp-header"] == "Region"
    assert schemas("plain") is None
    assert schemas("plain_alias") is None
    assert schemas("no_such_tool") is None


@pytest.mark.parametrize("name", ["routed", "plain"])
@pytest.mark.parametrize(("arguments", "headers"), CASES)
def test_the_verdict_is_the_one_the_full_schema_gives(
    name: str, arguments: dict[str, Any], headers: dict[str, str]
) -> None:
    full = validate_mcp_param_headers(TOOLS.get(name).input_schema(), arguments, headers)
    given = HeaderSchemas(TOOLS)(name)
    ours = None if given is None else validate_mcp_param_headers(given, arguments, headers)
    assert (ours is None) == (full is None)
    if full is not None:
        assert ours is not None and ours.code == full.code and ours.message == full.message


def test_a_mismatched_header_on_a_declaring_tool_is_still_refused() -> None:
    given = HeaderSchemas(TOOLS)("routed")
    assert given is not None
    assert (
        validate_mcp_param_headers(given, {"region": "eu", "text": "x"}, {"mcp-param-region": "us"})
        is not None
    )

"""Tool input schemas plain enough for every MCP client to fill in.

Pydantic writes an optional argument (``list[X] | None = None``) as ``anyOf: [{type: array}, {type:
null}]`` with ``default: null``. Form-building clients such as the MCP Inspector cannot enter a value
for such a union, so the argument cannot be passed at all. In a tool's arguments "optional" means
"may be left out", which ``required`` already says: the schema shows the plain type instead. The
server still accepts an explicit ``null`` where the model allows it.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

_NO_DEFAULT = object()


class PlainInputSchema(GenerateJsonSchema):
    """A JSON schema generator that leaves ``null`` out of argument types and ``null`` defaults."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        default: Any = schema.get("default", _NO_DEFAULT)
        if default is None:
            return self.generate_inner(schema["schema"])
        return super().default_schema(schema)

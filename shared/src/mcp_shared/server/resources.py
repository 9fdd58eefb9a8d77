"""Resources defined once by URI template and served over MCP (and mirrored over HTTP where useful)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from pydantic import BaseModel, ValidationError

from mcp_shared.errors import NotFoundError
from mcp_shared.server.tools import CallContext
from mcp_shared.validation import describe_validation_error

ResourceHandler = Callable[[dict[str, str], CallContext], Awaitable[Any]]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    """A resource (``llm://providers``) or a resource template (``llm://providers/{provider}/models``)."""

    uri_template: str
    name: str
    description: str
    handler: ResourceHandler
    mime_type: str = "application/json"
    params: type[BaseModel] | None = None
    """The template's placeholders as a model, so identifiers in a URI are checked like tool arguments."""
    meta: dict[str, Any] | None = None
    """``_meta`` of the resource, in its listing and on what a read returns (an MCP App's ``ui`` entry)."""
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = _PLACEHOLDER.split(self.uri_template)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
        )
        object.__setattr__(self, "_pattern", re.compile(f"^{regex}$"))

    @property
    def is_template(self) -> bool:
        return bool(_PLACEHOLDER.search(self.uri_template))

    def match(self, uri: str) -> dict[str, str] | None:
        """The placeholders' values when ``uri`` fits this template (an ``invalid_request`` when they are
        not valid identifiers), else None."""
        found = self._pattern.match(uri)
        if found is None:
            return None
        values = {k: unquote(v) for k, v in found.groupdict().items()}
        if self.params is None:
            return values
        try:
            return self.params.model_validate(values).model_dump()
        except ValidationError as exc:
            raise describe_validation_error(exc, subject="resource URI") from None


class ResourceRegistry:
    """The resources of one service, resolved by matching a URI against each template."""

    def __init__(self, specs: Iterable[ResourceSpec]) -> None:
        self.specs = list(specs)

    def resolve(self, uri: str) -> tuple[ResourceSpec, dict[str, str]]:
        for spec in self.specs:
            params = spec.match(uri)
            if params is not None:
                return spec, params
        raise NotFoundError(f"unknown resource '{uri}'")

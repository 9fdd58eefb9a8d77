"""Tools defined once and served over every transport.

A ``ToolSpec`` names a tool, its flat argument model, its result model and an async handler.
The MCP adapter lists and calls tools from the registry, and so do the plain HTTP routes, so
the same arguments are validated the same way and fail with the same structured errors.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from mcp_shared.errors import InternalError, InvalidRequestError, NotFoundError, ServiceError
from mcp_shared.logging import new_request_id, request_id_var
from mcp_shared.server.metrics import ToolMetrics
from mcp_shared.server.schemas import PlainInputSchema
from mcp_shared.validation import describe_validation_error

logger = logging.getLogger(__name__)

Transport = Literal["mcp", "http", "stdio"]
ArgsT = TypeVar("ArgsT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """A partial result: ``text`` is the MCP progress message, ``event``/``data`` the SSE frame."""

    text: str
    event: str = "chunk"
    data: dict[str, Any] | None = None

    def sse_data(self) -> dict[str, Any]:
        return self.data if self.data is not None else {"content": self.text}


EventSink = Callable[[StreamEvent], Awaitable[None]]


async def _discard(_: StreamEvent) -> None:
    return None


@dataclass(slots=True)
class CallContext:
    """What a handler knows about the call besides its arguments."""

    transport: Transport
    request_id: str = field(default_factory=new_request_id)
    organization_id: str | None = None
    """Set when the transport authenticated the caller; it then overrides any argument."""
    emit: EventSink = _discard
    """Where streaming handlers send partial results; a no-op when nobody listens."""
    streaming: bool = False
    """True when a listener for partial results exists (SSE client or MCP progress callback)."""


@dataclass(frozen=True, slots=True)
class ToolSpec(Generic[ArgsT]):
    """One tool: its name, schema and the plain async function that does the work."""

    name: str
    description: str
    arguments: type[ArgsT]
    handler: Callable[[ArgsT, CallContext], Awaitable[BaseModel]]
    result: type[BaseModel] | None = None
    aliases: tuple[str, ...] = ()
    streams: Callable[[ArgsT], bool] = field(default=lambda _args: False)
    """Whether a call with these arguments streams (SSE over HTTP, progress over MCP)."""
    read_only: bool = False
    meta: dict[str, Any] | None = None
    """``_meta`` of the tool as MCP lists it (an MCP App's ``ui`` entry, for one)."""

    def has_required_arguments(self) -> bool:
        return any(f.is_required() for f in self.arguments.model_fields.values())

    def input_schema(self) -> dict[str, Any]:
        return _input_schema(self.arguments)

    def output_schema(self) -> dict[str, Any] | None:
        return None if self.result is None else _output_schema(self.result)


@cache
def _input_schema(model: type[BaseModel]) -> dict[str, Any]:
    """JSON schema of an argument model, built once: the MCP server asks for it on every call."""
    schema = model.model_json_schema(schema_generator=PlainInputSchema)
    schema.pop("title", None)
    return schema


@cache
def _output_schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(mode="serialization")


class ToolRegistry:
    """The tools of one service, looked up by name or alias."""

    def __init__(self, specs: Iterable[ToolSpec[Any]], metrics: ToolMetrics | None = None) -> None:
        self._metrics = metrics
        self._specs: dict[str, ToolSpec[Any]] = {}
        self._canonical: dict[str, ToolSpec[Any]] = {}
        for spec in specs:
            self._canonical[spec.name] = spec
            for name in (spec.name, *spec.aliases):
                if name in self._specs:
                    raise ValueError(f"tool name {name!r} registered twice")
                self._specs[name] = spec

    def names(self) -> list[str]:
        """Every callable name, aliases included, in registration order."""
        return list(self._specs)

    def listing(self) -> list[tuple[str, ToolSpec[Any]]]:
        """(name, spec) for every callable name, so aliases show up as tools of their own."""
        return list(self._specs.items())

    def get(self, name: str) -> ToolSpec[Any]:
        try:
            return self._specs[name]
        except KeyError:
            raise NotFoundError(
                f"unknown tool '{name}'; available tools: {', '.join(sorted(self._specs))}"
            ) from None

    @staticmethod
    def parse_arguments(spec: ToolSpec[ArgsT], raw: Any) -> ArgsT:
        """Validate raw arguments (a dict or a JSON document) into the tool's model."""
        try:
            if isinstance(raw, bytes | str):
                return spec.arguments.model_validate_json(raw or b"{}")
            if not isinstance(raw, dict):
                raise InvalidRequestError("arguments must be a JSON object")
            return spec.arguments.model_validate(raw)
        except ValidationError as exc:
            raise describe_validation_error(exc, subject=f"arguments of '{spec.name}'") from None

    async def run(self, spec: ToolSpec[ArgsT], args: ArgsT, ctx: CallContext) -> BaseModel:
        """Run a handler with the request id bound; anything unexpected becomes an ``internal`` error.

        Every call leaves one log line (tool, transport, outcome, duration) and one metric sample.
        """
        token = request_id_var.set(ctx.request_id)
        started = time.perf_counter()
        outcome, error_message = "ok", None
        try:
            return await spec.handler(args, ctx)
        except ServiceError as exc:
            outcome, error_message = str(exc.error_type), exc.message
            raise
        except asyncio.CancelledError:
            outcome = "cancelled"  # the caller left (disconnected, or cancelled its MCP request)
            raise
        except Exception:
            outcome = "internal"
            logger.exception("tool call crashed", extra={"tool": spec.name, "transport": ctx.transport})
            raise InternalError(
                f"internal error while running '{spec.name}'; "
                f"quote request id {ctx.request_id} to the operator"
            ) from None
        finally:
            elapsed = time.perf_counter() - started
            if self._metrics is not None:
                self._metrics.observe(spec.name, ctx.transport, outcome, elapsed)
            logger.info(
                "tool call",
                extra={
                    "tool": spec.name,
                    "transport": ctx.transport,
                    "outcome": outcome,
                    "duration_ms": round(elapsed * 1000, 2),
                    "error": error_message,
                },
            )
            request_id_var.reset(token)

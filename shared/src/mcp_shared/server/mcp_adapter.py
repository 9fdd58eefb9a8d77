"""The MCP face of a service: a low-level ``mcp`` Server whose handlers read the registries.

The low-level server (rather than decorator-built tools) keeps the argument schema flat, lets
the service validate arguments itself, and returns every failure as a tool error result whose
text is the contract's structured error JSON.
"""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError
from mcp.shared.inbound import x_mcp_header_map

from mcp_shared.auth.middleware import ORGANIZATION_SCOPE_KEY
from mcp_shared.errors import InvalidRequestError, ServiceError
from mcp_shared.server.apps import EXTENSION_ID, client_supports_apps, tool_meta_for
from mcp_shared.server.service import Service
from mcp_shared.server.subscriptions import ResourceSubscriptions, subscription_handlers
from mcp_shared.server.tools import CallContext, StreamEvent, ToolRegistry, Transport


def organization_of(ctx: ServerRequestContext[Any, Any]) -> str | None:
    """The authenticated organization of an MCP request over HTTP (None on stdio or with auth off)."""
    request = ctx.request
    scope = getattr(request, "scope", None)
    return scope.get(ORGANIZATION_SCOPE_KEY) if isinstance(scope, dict) else None


RESOURCE_NOT_FOUND = -32002
"""MCP's code for a resource that does not exist."""


def resource_error_code(exc: ServiceError) -> int:
    """The JSON-RPC code of a failed resource read: not found, the caller's fault, or ours."""
    if exc.status == 404:
        return RESOURCE_NOT_FOUND
    if isinstance(exc, InvalidRequestError):
        return types.INVALID_PARAMS
    return types.INTERNAL_ERROR


def _resource_error(exc: ServiceError) -> MCPError:
    """A failed resource request as a JSON-RPC error carrying the structured payload."""
    return MCPError(code=resource_error_code(exc), message=exc.message, data=exc.to_payload())


def error_result(exc: ServiceError) -> types.CallToolResult:
    payload = exc.to_payload()
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=json.dumps(payload))],
        is_error=True,
    )


def build_mcp_server(service: Service, transport: Transport) -> Server[Any]:
    """Wire the service's registries into MCP request handlers."""
    tools: ToolRegistry = service.tools

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        listed = []
        apps = client_supports_apps(ctx)
        for name, spec in tools.listing():
            shown, meta = tool_meta_for(spec.meta, apps)
            if not shown:
                continue
            description = (
                spec.description if name == spec.name else f"Alias of '{spec.name}'. {spec.description}"
            )
            listed.append(
                types.Tool(
                    name=name,
                    description=description,
                    input_schema=spec.input_schema(),
                    output_schema=spec.output_schema(),
                    annotations=types.ToolAnnotations(read_only_hint=spec.read_only),
                    _meta=meta,
                )
            )
        return types.ListToolsResult(tools=listed)

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        progress_token = (ctx.meta or {}).get("progress_token")
        counter = 0

        async def report(event: StreamEvent) -> None:
            nonlocal counter
            counter += 1
            await ctx.session.report_progress(counter, None, event.text)

        call = CallContext(
            transport=transport,
            organization_id=organization_of(ctx),
            emit=report,
            streaming=progress_token is not None,
        )
        try:
            spec = tools.get(params.name)
            args = tools.parse_arguments(spec, params.arguments or {})
            result = await tools.run(spec, args, call)
        except ServiceError as exc:
            return error_result(exc)
        payload = result.model_dump(mode="json")
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=json.dumps(payload))],
            structured_content=payload,
        )

    async def list_resources(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    uri=s.uri_template,
                    name=s.name,
                    description=s.description,
                    mime_type=s.mime_type,
                    _meta=s.meta,
                )
                for s in service.resources.specs
                if not s.is_template
            ]
        )

    async def list_templates(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(
            resource_templates=[
                types.ResourceTemplate(
                    uri_template=s.uri_template, name=s.name, description=s.description, mime_type=s.mime_type
                )
                for s in service.resources.specs
                if s.is_template
            ]
        )

    async def read_resource(
        ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        uri = str(params.uri)
        call = CallContext(transport=transport, organization_id=organization_of(ctx))
        try:
            spec, values = service.resources.resolve(uri)
            data = await spec.handler(values, call)
        except ServiceError as exc:
            # Resources have no error result; a JSON-RPC error carries the structured payload.
            raise _resource_error(exc) from None
        text = data if isinstance(data, str) else json.dumps(data)
        return types.ReadResourceResult(
            contents=[
                types.TextResourceContents(uri=uri, mime_type=spec.mime_type, text=text, _meta=spec.meta)
            ]
        )

    subscriptions: ResourceSubscriptions | None = getattr(service, "subscriptions", None)
    handlers: dict[str, Any] = {}
    if subscriptions is not None:
        handlers = subscription_handlers(subscriptions, organization_of, _resource_error)

    server: Server[Any] = Server(
        service.name,
        version=service.version,
        instructions=service.instructions,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_templates,
        on_read_resource=read_resource,
        get_tool_input_schema=HeaderSchemas(tools),
        **handlers,
    )
    if any(spec.meta and "ui" in spec.meta for _, spec in tools.listing()):
        server.extensions[EXTENSION_ID] = {}
    return server


class HeaderSchemas:
    """What the SDK validates a ``tools/call``'s ``Mcp-Param-*`` headers against, per tool name.

    The SDK walks the schema it is given on every call. Only a tool that declares ``x-mcp-header``
    parameters can have headers to check, so every other tool answers None (nothing to validate, the
    SDK's own answer for such a schema) and its schema is never walked; which tools declare them is
    worked out once per tool.
    """

    def __init__(self, tools: ToolRegistry) -> None:
        self._tools = tools
        self._found: dict[str, dict[str, Any] | None] = {}

    def __call__(self, name: str) -> dict[str, Any] | None:
        try:
            return self._found[name]
        except KeyError:
            pass
        try:
            schema = self._tools.get(name).input_schema()
        except ServiceError:
            return None  # unknown names are not remembered: callers choose them
        found = self._found[name] = schema if x_mcp_header_map(schema) else None
        return found

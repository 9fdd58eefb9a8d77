"""Transport scaffolding: tools and resources defined once, served over MCP and plain HTTP."""

from mcp_shared.server.http_app import build_http_app
from mcp_shared.server.resources import ResourceRegistry, ResourceSpec
from mcp_shared.server.runner import run_http, run_http_workers, run_stdio, serve_stdio
from mcp_shared.server.service import CheckResult, Service
from mcp_shared.server.tools import CallContext, StreamEvent, ToolRegistry, ToolSpec

__all__ = [
    "CallContext",
    "CheckResult",
    "ResourceRegistry",
    "ResourceSpec",
    "Service",
    "StreamEvent",
    "ToolRegistry",
    "ToolSpec",
    "build_http_app",
    "run_http",
    "run_http_workers",
    "run_stdio",
    "serve_stdio",
]

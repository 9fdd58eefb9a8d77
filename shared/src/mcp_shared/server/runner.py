"""Running a service: over streamable HTTP (with the plain HTTP routes) or over stdio."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import uvicorn
from starlette.middleware import Middleware
from uvicorn.supervisors import Multiprocess

from mcp_shared.server.http_app import build_http_app
from mcp_shared.server.service import Service
from mcp_shared.settings import ServiceSettings

logger = logging.getLogger(__name__)


def _config(app: Any, settings: ServiceSettings, **extra: Any) -> uvicorn.Config:
    """uvicorn on uvloop and httptools (both from ``uvicorn[standard]``): the fastest stack it offers."""
    return uvicorn.Config(
        app,
        host=settings.mcp_host,
        port=settings.mcp_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=10,
        **extra,
    )


def run_http(service: Service, settings: ServiceSettings, middleware: list[Middleware] | None = None) -> None:
    """Serve MCP at /mcp and the plain HTTP routes on ``MCP_HOST:MCP_PORT`` until interrupted."""
    app = build_http_app(service, settings, middleware)
    logger.info(
        "serving %s on http://%s:%d (MCP at /mcp)", service.name, settings.mcp_host, settings.mcp_port
    )
    uvicorn.Server(_config(app, settings)).run()


def run_http_workers(app_factory: str, settings: ServiceSettings, workers: int) -> None:
    """Serve with ``workers`` processes sharing one listening socket (uvicorn's supervisor).

    ``app_factory`` is ``module:function``: each worker imports it and builds its own app and service
    from the environment, so whatever must be shared between them has to live outside the process
    (the caller checks that it does). The supervisor restarts a worker that dies.
    """
    logger.info(
        "serving on http://%s:%d with %d worker processes (MCP at /mcp)",
        settings.mcp_host,
        settings.mcp_port,
        workers,
    )
    # A worker imports and builds the whole service before it answers the supervisor's first ping.
    config = _config(app_factory, settings, factory=True, workers=workers, timeout_worker_healthcheck=30)
    sock = config.bind_socket()
    Multiprocess(config, sockets=[sock]).run()


async def serve_stdio(service: Service) -> None:
    """Serve MCP over stdin/stdout for clients that launch the service as a subprocess; a line that is
    not JSON-RPC gets a JSON-RPC error and the server reads on."""
    # The MCP SDK's server is imported here, not at module level: serving HTTP imports it on first use.
    from mcp.server.stdio import stdio_server

    from mcp_shared.server.mcp_adapter import build_mcp_server
    from mcp_shared.server.stdio import AnsweringReadStream

    server = build_mcp_server(service, transport="stdio")
    await service.start()
    try:
        async with stdio_server() as (read_stream, write_stream):
            answering = AnsweringReadStream(read_stream, write_stream)
            await server.run(answering, write_stream, server.create_initialization_options())
    finally:
        await service.stop()


def run_stdio(service: Service) -> None:
    anyio.run(serve_stdio, service)

"""One HTTP app per service: MCP at /mcp, plain tool routes, health, readiness and metrics.

Plain HTTP tool calls take the tool's flat arguments as a JSON body whatever the Content-Type
says (``curl -d`` sends a form type), and answer JSON, or ``text/event-stream`` for streaming
tools. Every failure is the contract's structured error with a fitting status.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mcp_shared.auth import ORGANIZATION_SCOPE_KEY
from mcp_shared.errors import (
    InternalError,
    InvalidRequestError,
    NotFoundError,
    PayloadTooLargeError,
    ServiceError,
)
from mcp_shared.server.body_deadline import BodyDeadline
from mcp_shared.server.disconnect import ClientDisconnected, client_gone, unless_disconnected
from mcp_shared.server.gc_tuning import tune_for_serving
from mcp_shared.server.lazy_mcp import LazyMCPEndpoint, Managers
from mcp_shared.server.service import Service
from mcp_shared.server.sse import sse_frame
from mcp_shared.server.streaming import StreamRelay, WatchedStreamingResponse
from mcp_shared.server.tools import CallContext, EventSink, ToolSpec
from mcp_shared.settings import ServiceSettings

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server
    from mcp.server.transport_security import TransportSecuritySettings

logger = logging.getLogger(__name__)


def error_response(exc: ServiceError, request_id: str | None = None) -> JSONResponse:
    """The structured error body with its status (and Retry-After when the caller should wait)."""
    headers = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    if request_id:
        headers["X-Request-Id"] = request_id
    return JSONResponse(exc.to_payload(), status_code=exc.status, headers=headers)


def model_response(result: BaseModel, request_id: str) -> Response:
    return Response(
        result.model_dump_json(), media_type="application/json", headers={"X-Request-Id": request_id}
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``limit``."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"request body of {declared} bytes exceeds the limit of {limit} bytes")
    size = 0
    chunks: list[bytes] = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class ToolRoutes:
    """``GET /tools``, ``GET /tools/{tool}`` and ``POST /tools/{tool}``."""

    def __init__(self, service: Service, settings: ServiceSettings) -> None:
        self.service = service
        self.settings = settings

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/tools", self.list_tools, methods=["GET"]),
            Route("/tools/{tool}", self.call, methods=["GET", "POST"]),
        ]

    async def list_tools(self, request: Request) -> Response:
        listing = [
            {
                "name": name,
                "alias_of": spec.name if name != spec.name else None,
                "description": spec.description,
                "input_schema": spec.input_schema(),
            }
            for name, spec in self.service.tools.listing()
        ]
        return JSONResponse({"tools": listing})

    async def call(self, request: Request) -> Response:
        tools = self.service.tools
        call = CallContext(transport="http", organization_id=request.scope.get(ORGANIZATION_SCOPE_KEY))
        try:
            spec = tools.get(request.path_params["tool"])
            if request.method == "GET":
                if spec.has_required_arguments():
                    raise InvalidRequestError(
                        f"tool '{spec.name}' has required arguments: call it with POST and a JSON body",
                        status=405,
                    )
                args = tools.parse_arguments(spec, dict(request.query_params))
            else:
                args = tools.parse_arguments(spec, await read_body(request, self.settings.max_body_bytes))
            if spec.streams(args):
                return await self._stream(request, spec, args, call)
            # A client that leaves cancels its call: a provider call must not hold a queue slot for no one.
            result = await unless_disconnected(request.receive, tools.run(spec, args, call))
        except ServiceError as exc:
            return error_response(exc, call.request_id)
        except ClientDisconnected:
            return client_gone()
        return model_response(result, call.request_id)

    async def _stream(
        self, request: Request, spec: ToolSpec[Any], args: BaseModel, call: CallContext
    ) -> Response:
        """Answer with server-sent events, or with a plain error if the call fails before its first chunk.

        Until the first chunk the client's departure is watched here; after it, the streaming
        response notices it and closing the stream cancels the producer.
        """

        async def produce(emit: EventSink) -> BaseModel:
            call.emit = emit
            call.streaming = True
            return await self.service.tools.run(spec, args, call)

        relay = StreamRelay(produce)
        first = await relay.first_while_connected(request.receive)
        if first is None:
            return client_gone()
        if first.error is not None:
            return error_response(first.error, call.request_id)

        async def frames() -> AsyncIterator[bytes]:
            async for item in relay.items():
                if item.event is not None:
                    yield sse_frame(item.event.event, item.event.sse_data())
                elif item.result is not None:
                    yield sse_frame("done", item.result.model_dump(mode="json"))
                elif item.error is not None:
                    yield sse_frame("error", item.error.to_payload())

        return WatchedStreamingResponse(frames(), "text/event-stream", sse_headers(call.request_id))


def sse_headers(request_id: str) -> dict[str, str]:
    return {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "X-Request-Id": request_id}


def health_routes(service: Service) -> list[BaseRoute]:
    """Liveness, readiness and Prometheus metrics."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": service.name, "version": service.version})

    async def readyz(request: Request) -> Response:
        checks = await service.readiness()
        unready = [c for c in checks if c.essential and c.status == "down"]
        degraded = [c for c in checks if c.status != "ok"]
        status = "unready" if unready else "degraded" if degraded else "ready"
        body = {
            "status": status,
            "service": service.name,
            "checks": {c.name: {"status": c.status, "essential": c.essential, **c.detail} for c in checks},
        }
        return JSONResponse(body, status_code=503 if unready else 200)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(service.metrics_registry), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]


def transport_security(settings: ServiceSettings) -> TransportSecuritySettings | None:
    """DNS-rebinding protection for /mcp: explicit when hosts are configured, else the SDK's default."""
    if not settings.mcp_allowed_hosts:
        return None
    from mcp.server.transport_security import TransportSecuritySettings

    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=settings.mcp_allowed_hosts,
        allowed_origins=settings.mcp_allowed_origins,
    )


async def _json_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        err: ServiceError = NotFoundError(f"no route for {request.method} {request.url.path}")
    else:
        err = InvalidRequestError(str(exc.detail), status=exc.status_code)
    return error_response(err)


async def _service_error(request: Request, exc: Exception) -> Response:
    """A route may simply raise: every ServiceError becomes its structured body and status."""
    assert isinstance(exc, ServiceError)
    return error_response(exc)


async def _json_internal_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(InternalError("internal error"))


def mcp_builder(service: Service, settings: ServiceSettings) -> Callable[[], tuple[Server[Any], Managers]]:
    """Builds the service's MCP server and its streamable-HTTP session managers (on first use of /mcp)."""

    def build() -> tuple[Server[Any], Managers]:
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

        from mcp_shared.server.mcp_adapter import build_mcp_server

        server = build_mcp_server(service, transport="mcp")
        # Sessions carry what a handshake-era client negotiated (MCP Apps) and its resource
        # subscriptions; a service without either serves every request on its own. The 2026 era
        # is stateless either way.
        stateless = not getattr(service, "mcp_sessions", False)
        server.streamable_http_app(
            streamable_http_path="/mcp",
            stateless_http=stateless,
            host=settings.mcp_host,
            transport_security=transport_security(settings),
            max_request_body_size=settings.max_body_bytes,
        )
        streaming = server.session_manager
        single_body = (
            StreamableHTTPSessionManager(
                server,
                stateless=True,
                json_response=True,
                security_settings=streaming.security_settings,  # as the SDK derived them from the host
                max_request_body_size=streaming.max_request_body_size,
            )
            if stateless
            else None
        )
        return server, Managers(streaming, single_body)

    return build


def build_http_app(
    service: Service, settings: ServiceSettings, middleware: list[Middleware] | None = None
) -> Starlette:
    """The whole HTTP surface of a service; its lifespan starts and stops the service.

    /mcp is built on its first request (``LazyMCPEndpoint``): a process that only serves the plain
    routes never imports the MCP SDK's server.
    """
    mcp_endpoint = LazyMCPEndpoint(mcp_builder(service, settings))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.start()
        tune_for_serving()
        try:
            async with mcp_endpoint.running():
                yield
        finally:
            await service.stop()

    routes: list[BaseRoute] = [
        *health_routes(service),
        *ToolRoutes(service, settings).routes(),
        *service.http_routes(),
        # One route (/mcp, every method), as the SDK's own app has; unknown paths stay on this app's
        # structured 404.
        Route("/mcp", endpoint=mcp_endpoint),
    ]
    # A service may bring its own middleware (authentication, for one) through an optional hook.
    hook = getattr(service, "http_middleware", None)
    own: list[Middleware] = hook() if callable(hook) else []
    deadline = Middleware(BodyDeadline, seconds=settings.body_read_timeout)
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[deadline, *(middleware or []), *own],
        exception_handlers={
            HTTPException: _json_http_error,
            ServiceError: _service_error,
            Exception: _json_internal_error,
        },
    )

"""``--local``: mcp-llm and mcp-debate served in this process, in this event loop, for one debate.

Both are the real services on real loopback sockets, and the debate goes through the same MCP path as
against remote ones (this command -> mcp-debate -> mcp-llm). They run on embedded defaults: the
in-process cache, a SQLite file (a temporary one unless ``--database`` names one), and whatever
providers the environment configures, the offline ``mock`` provider always among them.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import ValidationError
from pydantic_settings import SettingsError

from mcp_debate.cli.errors import CliError, UsageError
from mcp_debate.cli.plan import LocalOptions
from mcp_debate.service import DebateService
from mcp_debate.settings import DebateSettings
from mcp_shared.cli import setting_problems
from mcp_shared.server import Service, build_http_app
from mcp_shared.settings import ServiceSettings

HOST = "127.0.0.1"
SHUTDOWN_SECONDS = 5


@dataclass(frozen=True, slots=True)
class LocalServices:
    llm_url: str
    debate_url: str
    database: Path
    temporary: bool

    @property
    def debate_mcp_url(self) -> str:
        return f"{self.debate_url}/mcp"


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves SIGINT to the command: Ctrl-C pauses the debate before anything stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def embedded_llm(port: int = 0) -> AsyncIterator[str]:
    """mcp-llm served by this process on a loopback port, on embedded defaults; yields its URL.

    Used by ``--local`` and by ``mcp-debate stdio --embedded-llm``, which makes a stdio install
    (as an MCP client launches it) self-contained.
    """
    service, settings = _llm_service()
    with _listening(port, "--llm-port") as sock:
        async with _serving(service, settings, sock):
            yield f"http://{HOST}:{sock.getsockname()[1]}"


@contextlib.asynccontextmanager
async def local_services(options: LocalOptions) -> AsyncIterator[LocalServices]:
    """Both services listening on loopback until the block ends; then mcp-debate stops, then mcp-llm."""
    async with contextlib.AsyncExitStack() as stack:
        folder = (
            None
            if options.database
            else stack.enter_context(tempfile.TemporaryDirectory(prefix="mcp-debate-"))
        )
        database = options.database or Path(str(folder)) / "debates.db"
        try:
            database.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                f"--database {database}: cannot create its folder ({exc.strerror or exc})"
            ) from None
        llm_url = await stack.enter_async_context(embedded_llm(options.llm_port))
        debate_socket = stack.enter_context(_listening(options.debate_port, "--debate-port"))
        debate_url = f"http://{HOST}:{debate_socket.getsockname()[1]}"
        with _settings_of("mcp-debate"):
            debate_settings = DebateSettings(
                mcp_host=HOST,
                mcp_port=debate_socket.getsockname()[1],
                mcp_allowed_hosts=[],
                database_path=database,
                llm_service_url=llm_url,
                resume_runs_on_start=False,
                auth_enabled=False,  # its one client is this command, in the same process (trusted, as stdio)
            )
        async with _serving(DebateService(debate_settings), debate_settings, debate_socket):
            yield LocalServices(llm_url, debate_url, database, temporary=options.database is None)


def _llm_service() -> tuple[Service, ServiceSettings]:
    try:
        from mcp_llm.service import LLMService
        from mcp_llm.settings import LLMSettings
    except ImportError:
        raise UsageError(
            "--local needs mcp-llm installed next to mcp-debate",
            hint="pip install 'mcp-debate[local]', or run against started services with --url",
        ) from None
    # Embedded defaults whatever the environment says about Redis or allowed hosts; keys still count.
    with _settings_of("mcp-llm"):
        settings = LLMSettings(mcp_host=HOST, redis_url=None, cache_redis_url=None, mcp_allowed_hosts=[])
    return LLMService(settings), settings


@contextlib.contextmanager
def _settings_of(service: str) -> Iterator[None]:
    """A bad setting in the environment or ``.env`` is a usage error naming it, not a traceback."""
    try:
        yield
    except (ValidationError, SettingsError) as exc:
        first, *more = setting_problems(exc)
        raise UsageError(f"{service}: {first}", details=more) from None


@contextlib.contextmanager
def _listening(port: int, flag: str) -> Iterator[socket.socket]:
    """A bound loopback socket (port 0: a free one), so the port is known before the server starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"{flag} {port}: cannot listen on {HOST}:{port} ({exc.strerror or exc})") from None
    with sock:
        yield sock


@contextlib.asynccontextmanager
async def _serving(service: Any, settings: ServiceSettings, sock: socket.socket) -> AsyncIterator[None]:
    app = build_http_app(service, settings)
    server = _EmbeddedServer(
        uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=SHUTDOWN_SECONDS,
        )
    )

    async def serve() -> None:
        with contextlib.suppress(SystemExit):  # uvicorn's answer to a failed start-up; it has logged why
            await server.serve(sockets=[sock])

    task = asyncio.create_task(serve(), name=f"{service.name}-server")
    while not server.started:
        if task.done():
            raise CliError(f"{service.name} could not start in this process (its log above says why)")
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await asyncio.gather(task, return_exceptions=True)

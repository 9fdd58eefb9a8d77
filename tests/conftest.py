"""Fixtures that start real things: a Redis server, mcp-llm processes, fake vendor APIs.

Processes are started by the fixtures and stopped by PID when the fixtures end.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.fakes.openai_api import openai_app
from tests.fakes.server import FakeServer, Script, free_port
from tests.postgres import PostgresServer, require_postgres

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = Path(tempfile.gettempdir()) / "mcp-tests"

# Environment for server processes: nothing inherited that could change behaviour.
_CLEAN_ENV_PREFIXES = (
    "OPENAI",
    "ANTHROPIC",
    "GOOGLE",
    "GEMINI",
    "OLLAMA",
    "LLAMA",
    "XAI",
    "DASHSCOPE",
    "REDIS",
    "CACHE",
    "MCP_",
    "LLM_",
    "DATABASE",
    "USE_LOCAL",
    "LOG_",
)


def clean_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_CLEAN_ENV_PREFIXES)}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}")


# -- Redis -------------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A private redis-server on a free port; can be stopped and started again on the same port."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    workdir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="redis-"))
    flags: list[str] = field(default_factory=list)
    """More redis-server flags, after the defaults (no persistence), so they can override them."""

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.workdir,
                *self.flags,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._responds, what="redis-server")

    def _responds(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)
            self.process = None


def require_redis_server() -> None:
    """Skip the test when redis-server is missing (fail instead when REQUIRE_REDIS is set, as in CI)."""
    if shutil.which("redis-server") is None:
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail("REQUIRE_REDIS is set but redis-server is not on PATH")
        pytest.skip("redis-server is not installed (CI installs it; see .ci/run)")


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_browser() -> None:
    """Skip a browser test when Chromium or Playwright is missing (fail instead under REQUIRE_BROWSER, as in
    CI, which installs Debian's chromium: see .ci/run)."""
    missing = None
    if not Path(CHROMIUM).exists():
        missing = f"no Chromium at {CHROMIUM}"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is not installed"
    if missing:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"REQUIRE_BROWSER is set but {missing}")
        pytest.skip(f"{missing} (CI installs it; see .ci/run)")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One Redis shared by the session's tests (keys are made unique per test)."""
    require_redis_server()
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_servers() -> Iterator[Callable[..., RedisServer]]:
    """Starts Redis servers of the test's own, with extra flags if given; all stopped at the end."""
    require_redis_server()
    started: list[RedisServer] = []

    def start(*flags: str) -> RedisServer:
        server = RedisServer(flags=list(flags))
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def private_redis(redis_servers: Callable[..., RedisServer]) -> RedisServer:
    """A started Redis of the test's own, which it may stop and start again; stopped at the end."""
    return redis_servers()


# -- server processes --------------------------------------------------------------------------


@dataclass
class ServiceProcess:
    """A service started as its own OS process, like a user would run it."""

    name: str
    args: list[str]
    env: dict[str, str]
    port: int
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp"

    def start(self, timeout: float = 30.0) -> ServiceProcess:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{self.name}-{self.port}.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(self.args, env=self.env, stdout=log, stderr=log, cwd=ROOT)
        try:
            wait_until(self._healthy, timeout=timeout, what=f"{self.name} on port {self.port}")
        except BaseException:
            self.stop()  # a process that never became healthy must not outlive the test
            raise
        return self

    def _healthy(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}; log: {self.log_text()}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, as in a crash."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""


def llm_process(port: int | None = None, **env: str) -> ServiceProcess:
    port = port or free_port()
    return ServiceProcess(
        "mcp-llm",
        [sys.executable, "-m", "mcp_llm", "--port", str(port)],
        clean_env(LOG_LEVEL="INFO", RETRY_INITIAL_WAIT="0.05", **env),
        port,
    )


@pytest.fixture(scope="session")
def fake_openai() -> Iterator[tuple[FakeServer, Script]]:
    script = Script()
    server = FakeServer(openai_app(script)).start()
    yield server, script
    server.stop()


@pytest.fixture
def openai_script(fake_openai: tuple[FakeServer, Script]) -> Iterator[Script]:
    _, script = fake_openai
    script.reset()
    yield script
    script.reset()


TEST_OPENAI_KEY = "fixture-openai-key-" + "0123456789abcdef"  # built so no key-shaped literal is tracked


@pytest.fixture(scope="session")
def llm_server(fake_openai: tuple[FakeServer, Script]) -> Iterator[ServiceProcess]:
    """mcp-llm on embedded defaults (in-process cache, mock provider) plus OpenAI pointed at the fake."""
    server, _ = fake_openai
    proc = llm_process(OPENAI_API_KEY=TEST_OPENAI_KEY, OPENAI_BASE_URL=f"{server.url}/v1").start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def llm_server_redis(redis_server: RedisServer) -> Iterator[ServiceProcess]:
    proc = llm_process(REDIS_URL=redis_server.url, REDIS_RETRY_INTERVAL="0.2").start()
    yield proc
    proc.stop()


# -- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One private PostgreSQL server for the session; tests take a fresh database from it."""
    require_postgres()
    server = PostgresServer().start()
    yield server
    server.stop()


# -- mcp-debate processes -----------------------------------------------------------------------


def debate_process(
    llm_url: str, database: Path, port: int | None = None, name: str = "mcp-debate", **env: str
) -> ServiceProcess:
    """mcp-debate as its own OS process, on ``database``, talking to mcp-llm at ``llm_url``."""
    port = port or free_port()
    return ServiceProcess(
        name,
        [sys.executable, "-m", "mcp_debate", "serve", "--port", str(port), "--database", str(database)],
        clean_env(
            **{
                "LOG_LEVEL": "INFO",
                "LLM_SERVICE_URL": llm_url,
                "LLM_RETRY_INITIAL_WAIT": "0.05",
                "LLM_RETRY_MAX_WAIT": "0.5",
                **env,  # a test may override any of these
            }
        ),
        port,
    )


@pytest.fixture(scope="session")
def llm_mock() -> Iterator[ServiceProcess]:
    """mcp-llm on embedded defaults: the offline mock provider, the in-process cache."""
    proc = llm_process().start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def debate_db_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="mcp-debate-") as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def debate_server(llm_mock: ServiceProcess, debate_db_dir: Path) -> Iterator[ServiceProcess]:
    """The shared mcp-debate process for tests that do not stop or kill anything."""
    proc = debate_process(llm_mock.url, debate_db_dir / "shared.db").start()
    yield proc
    proc.stop()

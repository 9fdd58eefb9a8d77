"""A private PostgreSQL server for tests: Debian's ``postgresql`` binaries, a temp data folder, a free port.

``initdb`` and ``postgres`` refuse to run as root; when the tests run as root the server runs as the
``postgres`` user the Debian package creates (through ``runuser``). Each test gets its own database.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fakes.server import free_port

PG_BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))


def require_postgres() -> None:
    """Skip when PostgreSQL's binaries are missing (fail instead when REQUIRE_POSTGRES is set, as in CI)."""
    if not (PG_BIN / "initdb").exists():
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(
                f"REQUIRE_POSTGRES is set but {PG_BIN}/initdb is missing (apt-get install postgresql)"
            )
        pytest.skip("PostgreSQL is not installed (CI installs it; see .ci/run)")


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--", *command]


@dataclass
class PostgresServer:
    """One postgres process with trust authentication on 127.0.0.1 only."""

    port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pg-")))
    process: subprocess.Popen[bytes] | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresServer:
        data, sockets = self.workdir / "data", self.workdir / "run"
        sockets.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres")
            shutil.chown(sockets, "postgres")
        subprocess.run(
            _as_server_user(
                [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        log = (self.workdir / "postgres.log").open("ab")
        self.process = subprocess.Popen(
            _as_server_user(
                [
                    str(PG_BIN / "postgres"),
                    "-D", str(data),
                    "-p", str(self.port),
                    "-h", "127.0.0.1",
                    "-k", str(sockets),
                    "-c", "fsync=off",  # a test server: its data is thrown away
                    "-c", "max_connections=200",
                ]
            ),
            stdout=log,
            stderr=log,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while subprocess.run(
            [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True
        ).returncode:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"postgres did not start: {(self.workdir / 'postgres.log').read_text()}")
            time.sleep(0.1)
        return self

    def create_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name],
            check=True,
            capture_output=True,
        )
        return self.url(name)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        shutil.rmtree(self.workdir, ignore_errors=True)

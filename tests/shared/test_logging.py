"""Log format on a real mcp-llm process: readable lines when stderr is a terminal, JSON lines otherwise
(``LOG_FORMAT=auto``, the default), either one when asked for, and credentials redacted in both."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import clean_env, wait_until
from tests.fakes.server import free_port

KEY_SHAPED = "sk-proj-" + "abcdefghijklmnopqrstuvwxyz0123"  # built so no key-shaped literal is tracked
TEXT_LINE = re.compile(r"^\d\d:\d\d:\d\d (INFO|WARNING|ERROR|DEBUG) +[\w.]+: ")


def server_log(stderr_is_terminal: bool, log_format: str | None, tmp_path: Path) -> list[str]:
    """Start mcp-llm, make one call whose error holds a key-shaped word, stop it; its stderr lines."""
    port = free_port()
    env = clean_env(**({"LOG_FORMAT": log_format} if log_format else {}))
    if stderr_is_terminal:
        reader, writer = pty.openpty()
    else:
        reader, writer = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-m", "mcp_llm", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=writer,
    )
    os.close(writer)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(url), timeout=30, what="mcp-llm")
        refused = httpx.post(
            f"{url}/tools/complete",
            json={"provider": KEY_SHAPED, "messages": [{"role": "user", "content": "hi"}]},
            timeout=10,
        )
        assert refused.json()["error"]["type"] == "invalid_request"
    finally:
        process.terminate()
        process.wait(timeout=15)
    return _read_all(reader).decode(errors="replace").replace("\r\n", "\n").splitlines()


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def _read_all(fd: int) -> bytes:
    out = b""
    try:
        while chunk := os.read(fd, 65536):
            out += chunk
    except OSError:  # a terminal whose other end has closed reports EIO instead of end of file
        pass
    finally:
        os.close(fd)
    return out


@pytest.mark.parametrize(
    ("terminal", "log_format", "expect_text"),
    [(True, None, True), (False, None, False), (True, "json", False), (False, "text", True)],
    ids=["auto-terminal", "auto-pipe", "json-on-terminal", "text-on-pipe"],
)
def test_log_format(terminal: bool, log_format: str | None, expect_text: bool, tmp_path: Path) -> None:
    lines = [line for line in server_log(terminal, log_format, tmp_path) if line.strip()]
    assert any("serving mcp-llm" in line for line in lines)
    call = [line for line in lines if "tool call" in line]
    assert len(call) == 1
    if expect_text:
        assert all(TEXT_LINE.match(line) for line in lines), lines
        assert "tool=complete" in call[0] and "outcome=invalid_request" in call[0]
    else:
        entries = [json.loads(line) for line in lines]  # every line is one JSON object
        assert {e["level"] for e in entries} <= {"DEBUG", "INFO", "WARNING", "ERROR"}
        assert json.loads(call[0])["outcome"] == "invalid_request"
    assert "[REDACTED]" in call[0]
    assert all(KEY_SHAPED not in line for line in lines)

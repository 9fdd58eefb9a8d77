"""``mcp-llm http --workers N``: several real processes on one port, their state shared through Redis."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, RedisServer, clean_env, free_port, llm_process, wait_until

pytestmark = pytest.mark.redis


def _children(pid: int) -> set[int]:
    """Direct child processes of ``pid``, from /proc (Linux)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


def test_more_than_one_worker_without_redis_is_refused_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mcp_llm", "http", "--workers", "2", "--port", str(free_port())],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "mcp-llm: --workers 2 needs REDIS_URL: without Redis each process would keep its own "
        "quotas, cache and conversations"
    )


def test_two_workers_serve_one_port_and_share_the_cache(redis_server: RedisServer) -> None:
    service = llm_process(REDIS_URL=redis_server.url)
    service.args += ["--workers", "2"]
    service.start(timeout=90)
    try:
        assert service.process is not None
        parent = service.process.pid

        def workers() -> set[int]:
            return {p for p in _children(parent) if "multiprocessing-fork" in _cmdline(p)}

        wait_until(lambda: len(workers()) == 2, timeout=90, what="two worker processes")
        wait_until(
            lambda: all(httpx.get(f"{service.url}/healthz", timeout=2).status_code == 200 for _ in range(10)),
            timeout=60,
            what="both workers answering",
        )
        args = {
            "provider": "mock",
            "messages": [{"role": "user", "content": f"shared cache {free_port()}"}],
            "temperature": 0.0,
        }
        # A new connection per call: the kernel spreads them over both workers, and every call after
        # the first is a hit whichever worker answers, because the cache lives in Redis.
        answers = [
            httpx.post(f"{service.url}/tools/complete", json=args, timeout=30).json() for _ in range(12)
        ]
        assert [a["cached"] for a in answers] == [False] + [True] * 11
        assert {a["content"] for a in answers} == {answers[0]["content"]}
        assert len(workers()) == 2
    finally:
        service.stop()

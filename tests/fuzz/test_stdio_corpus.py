"""Malformed JSON-RPC over stdio: every request with an id gets an answer, and the server keeps serving."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from queue import Empty, Queue
from typing import Any

import pytest

from tests.conftest import ROOT, clean_env
from tests.fuzz.conftest import FUZZ_TIMEOUT
from tests.fuzz.strategies import nested


class StdioPeer:
    """A service started with ``stdio``, spoken to line by line as an MCP client would."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
            env=clean_env(),
        )
        self.lines: Queue[bytes] = Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def send(self, raw: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(raw + b"\n")
        self.process.stdin.flush()

    def answer_to(self, request_id: Any, *, unreadable_ok: bool = True) -> dict[str, Any]:
        """The next message answering ``request_id``, or an error with ``id: null`` (JSON-RPC's answer to a
        message whose id could not be read); notifications and other answers are skipped."""
        while True:
            try:
                line = self.lines.get(timeout=FUZZ_TIMEOUT)
            except Empty:
                raise AssertionError(f"no answer to request {request_id!r} within {FUZZ_TIMEOUT} s") from None
            message = json.loads(line)
            unreadable = message.get("id") is None and "error" in message
            if message.get("id") == request_id or (unreadable_ok and unreadable):
                return dict(message)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(params=["mcp_llm", "mcp_debate"])
def peer(request: pytest.FixtureRequest) -> Iterator[StdioPeer]:
    extra = ["--embedded-llm"] if request.param == "mcp_debate" else []
    command = [sys.executable, "-m", request.param, "stdio", *extra]
    peer = StdioPeer(command)
    peer.send(
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "fuzz", "version": "1"},
                },
            }
        ).encode()
    )
    assert "result" in peer.answer_to(0)
    peer.send(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}')
    yield peer
    peer.close()


def _list_tools_works(peer: StdioPeer, request_id: int) -> None:
    peer.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/list"}).encode())
    assert "result" in peer.answer_to(request_id, unreadable_ok=False), "the server stopped serving"


CASES = [
    (
        "deep params",
        b'{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": ' + nested(10_000) + b"}",
        7,
    ),
    (
        "deep arguments",
        b'{"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {"name": "list_models", "arguments": '
        + b'{"a":' * 10_000
        + b"1"
        + b"}" * 10_000
        + b"}}",
        8,
    ),
    ("unknown method", b'{"jsonrpc": "2.0", "id": 9, "method": "tools/explode"}', 9),
    ("params a list", b'{"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": [1]}', 10),
    (
        "huge tool name",
        json.dumps(
            {"jsonrpc": "2.0", "id": 11, "method": "tools/call", "params": {"name": "t" * 200_000}}
        ).encode(),
        11,
    ),
]


@pytest.mark.parametrize(("label", "raw", "request_id"), CASES, ids=[c[0] for c in CASES])
def test_malformed_request_is_answered_and_serving_goes_on(
    peer: StdioPeer, label: str, raw: bytes, request_id: int
) -> None:
    peer.send(raw)
    answer = peer.answer_to(request_id)
    assert "error" in answer or "result" in answer, answer
    if "error" in answer:
        assert answer["error"]["code"] != -32603, answer
    _list_tools_works(peer, 100)


def test_garbage_lines_do_not_stop_the_server(peer: StdioPeer) -> None:
    for garbage in (b"{oops", b"\xff\xfe", b"[]", b"null", b"42", b" "):
        peer.send(garbage)
    _list_tools_works(peer, 101)

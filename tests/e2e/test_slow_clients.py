"""Slow clients (slowloris): a request body sent byte by byte is cut off after BODY_READ_TIMEOUT.

Both services, on the plain tool routes, the OpenAI-compatible API and MCP: the dripping client gets
a 408 with the structured error and its connection closed, and everyone else is served meanwhile.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServiceProcess, debate_process, llm_process

TIMEOUT = 1.0
DECLARED = 500
"""The body length announced; the client never sends that much."""


@dataclass
class Dripped:
    """What a dripping client saw: the server's answer, when it came, and whether it hung up."""

    response: bytes
    answered_after: float
    closed: bool

    @property
    def status(self) -> int:
        return int(self.response.split(b" ", 2)[1])

    def error(self) -> dict[str, object]:
        return dict(json.loads(self.response.split(b"\r\n\r\n", 1)[1])["error"])


def drip(server: ServiceProcess, path: str, give_up: float = 10.0) -> Dripped:
    """Send the headers, then one byte of body every 50 ms, and wait for the server's answer.

    The dripping stops shortly before the deadline: a byte landing just as the server closes would
    make its kernel reset the connection and drop the answer in flight.
    """
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json, text/event-stream\r\nContent-Length: {DECLARED}\r\n\r\n"
    )
    sock.sendall(head.encode() + b"{")
    started = time.monotonic()
    received, answered, closed = b"", None, False
    with sock:
        while time.monotonic() - started < give_up and not closed:
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable:
                chunk = sock.recv(65536)
                answered = answered or time.monotonic() - started
                received += chunk
                closed = not chunk
            elif time.monotonic() - started < TIMEOUT - 0.2:
                sock.send(b" ")
    assert answered is not None, f"no answer from {path} within {give_up} s"
    return Dripped(received, answered, closed)


@pytest.fixture(scope="module")
def llm() -> Iterator[ServiceProcess]:
    proc = llm_process(BODY_READ_TIMEOUT=str(TIMEOUT)).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def debate(llm: ServiceProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    database: Path = tmp_path_factory.mktemp("slow") / "d.db"
    proc = debate_process(llm.url, database, BODY_READ_TIMEOUT=str(TIMEOUT)).start()
    yield proc
    proc.stop()


CASES = [
    ("llm", "/tools/complete"),
    ("llm", "/v1/chat/completions"),
    ("llm", "/mcp"),
    ("debate", "/tools/create_debate"),
    ("debate", "/mcp"),
]


@pytest.mark.parametrize(("service", "path"), CASES)
def test_a_body_sent_byte_by_byte_is_cut_off(service: str, path: str, request: pytest.FixtureRequest) -> None:
    server: ServiceProcess = request.getfixturevalue(service)
    result: dict[str, Dripped] = {}
    dripping = threading.Thread(target=lambda: result.update(slow=drip(server, path)))
    dripping.start()
    time.sleep(TIMEOUT / 2)
    started = time.monotonic()  # meanwhile, everyone else is served as usual
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
    assert httpx.get(f"{server.url}/tools", timeout=5).status_code == 200
    assert time.monotonic() - started < 1.0
    dripping.join(timeout=15)

    slow = result["slow"]
    assert slow.status == 408, slow.response
    assert TIMEOUT <= slow.answered_after < TIMEOUT + 1.5
    error = slow.error()
    assert error["type"] == "invalid_request" and error["field"] == "body"
    assert "BODY_READ_TIMEOUT" in str(error["message"])
    assert slow.closed  # the connection is not left to the slow client
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200


def test_a_body_that_arrives_in_time_is_served(llm: ServiceProcess) -> None:
    """Pauses shorter than the deadline in a body that completes within it are fine."""
    body = json.dumps({"model": "mock-1", "messages": [{"role": "user", "content": "hi"}]}).encode()

    def slowly() -> Iterator[bytes]:
        for index in range(0, len(body), len(body) // 4):
            time.sleep(TIMEOUT / 8)
            yield body[index : index + len(body) // 4]

    response = httpx.post(
        f"{llm.url}/tools/complete",
        content=slowly(),
        headers={"Content-Length": str(len(body))},
        timeout=10,
    )
    assert response.status_code == 200, response.text

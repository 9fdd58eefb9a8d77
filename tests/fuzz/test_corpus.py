"""A hand-made corpus against both real services: bodies no tool expects, odd content types, hostile
query strings and paths, bodies sent a byte at a time, and malformed JSON-RPC on /mcp. Every answer
must be sane (see ``checks.py``) and the service must keep answering afterwards."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import httpx
import pytest

from tests.conftest import ServiceProcess
from tests.fuzz.checks import Finding, check_error_payload, check_text, send
from tests.fuzz.conftest import FUZZ_TIMEOUT
from tests.fuzz.strategies import nested, raw_bodies

LLM_POSTS = ["/tools/complete", "/tools/stream_complete", "/tools/estimate_tokens", "/v1/chat/completions"]
DEBATE_POSTS = ["/tools/create_debate", "/tools/get_next_turn", "/tools/run_debate", "/tools/list_debates"]
CONTENT_TYPES = [
    None,
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json; charset=utf-16",
    "application/xml",
]
HOSTILE_QUERY_VALUES = [
    "-1",
    "0",
    "abc",
    "1e10",
    "NaN",
    "9223372036854775808",
    "18446744073709551616",
    "",
    "%00",
    "x" * 5000,
]


def posts_of(server: ServiceProcess) -> list[str]:
    return LLM_POSTS if server.name == "mcp-llm" else DEBATE_POSTS


def still_serving(server: ServiceProcess) -> None:
    response = httpx.get(f"{server.url}/healthz", timeout=FUZZ_TIMEOUT)
    assert response.status_code == 200, f"{server.name} stopped answering: {response.status_code}"


def test_raw_bodies(fuzz_target: ServiceProcess) -> None:
    findings: list[str] = []
    with httpx.Client(base_url=fuzz_target.url) as client:
        for path in posts_of(fuzz_target):
            for label, body in raw_bodies():
                try:
                    send(client, "POST", path, content=body, headers={"content-type": "application/json"})
                except Finding as exc:
                    findings.append(f"{label}: {exc}")
    still_serving(fuzz_target)
    assert not findings, "\n".join(findings)


def test_content_types(fuzz_target: ServiceProcess) -> None:
    body = json.dumps({"messages": [{"role": "user", "content": "hi"}], "provider": "mock"}).encode()
    findings: list[str] = []
    with httpx.Client(base_url=fuzz_target.url) as client:
        for path in posts_of(fuzz_target):
            for content_type in CONTENT_TYPES:
                headers = {"content-type": content_type} if content_type else {}
                try:
                    send(client, "POST", path, content=body, headers=headers)
                except Finding as exc:
                    findings.append(f"{content_type}: {exc}")
    assert not findings, "\n".join(findings)


def test_hostile_query_strings_and_paths(fuzz_target: ServiceProcess) -> None:
    if fuzz_target.name == "mcp-llm":
        gets = ["/tools/list_models", "/v1/models", "/tools/usage_report", "/tools/provider_health"]
        params = ["provider", "refresh", "period", "limit", "format"]
        paths = ["/v1/models/%00", "/v1/models/" + "m" * 5000, "/tools/%ff", "/tools/" + "t" * 5000]
    else:
        gets = ["/debates", "/debates/deb_nope/messages", "/debates/deb_nope/export", "/tools/list_debates"]
        params = ["limit", "offset", "after_seq", "state", "format"]
        paths = [
            "/debates/%00",
            "/debates/..%2F..%2Fetc%2Fpasswd",
            "/debates/" + "d" * 5000,
            "/debates/deb_x/messages/../../healthz",
        ]
    findings: list[str] = []
    with httpx.Client(base_url=fuzz_target.url) as client:
        for path in gets:
            for name in params:
                for value in HOSTILE_QUERY_VALUES:
                    try:
                        send(client, "GET", path, params={name: value})
                    except Finding as exc:
                        findings.append(str(exc))
        for path in paths:
            for method in ("GET", "POST"):
                try:
                    send(client, method, path)
                except Finding as exc:
                    findings.append(str(exc))
    still_serving(fuzz_target)
    assert not findings, "\n".join(findings)


def _post_trickled(server: ServiceProcess, path: str, body: bytes, pause: float) -> tuple[int, bytes]:
    """POST ``body`` one byte at a time (a well-behaved but very fragmented client); the raw answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=FUZZ_TIMEOUT) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        sock.sendall(head)
        for byte in body:
            sock.sendall(bytes([byte]))
            time.sleep(pause)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer


def test_body_sent_byte_by_byte_is_answered(fuzz_target: ServiceProcess) -> None:
    if fuzz_target.name == "mcp-llm":
        path, body = "/tools/complete", {"provider": "mock", "messages": [{"role": "user", "content": "hi"}]}
    else:
        path, body = "/tools/list_debates", {"limit": 5}
    status, answer = _post_trickled(fuzz_target, path, json.dumps(body).encode(), pause=0.002)
    check_text(answer.decode(errors="replace"), path)
    assert status == 200, answer[:500]


# -- MCP, raw JSON-RPC ----------------------------------------------------------------------------

MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


def _rpc(method: str, params: Any = None, id_: Any = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return message


def mcp_messages(server: ServiceProcess) -> list[tuple[str, bytes]]:
    tool = "complete" if server.name == "mcp-llm" else "get_debate"
    uris = (
        [
            "llm://providers/nope/models",
            "llm://providers/../../x",
            "llm://conversations/" + "c" * 5000,
            "file:///etc/passwd",
        ]
        if server.name == "mcp-llm"
        else [
            "debates://nope",
            "debates://%00/messages",
            "debates://" + "d" * 5000,
            "debates://list?limit=-1",
            "file:///etc/passwd",
        ]
    )
    cases: list[tuple[str, Any]] = [
        ("no method", {"jsonrpc": "2.0", "id": 1}),
        ("wrong version", {"jsonrpc": "1.0", "id": 1, "method": "tools/list"}),
        ("unknown method", _rpc("tools/explode")),
        ("params not an object", _rpc("tools/call", [1, 2])),
        ("tool name missing", _rpc("tools/call", {"arguments": {}})),
        ("tool name huge", _rpc("tools/call", {"name": "t" * 100_000, "arguments": {}})),
        ("arguments a list", _rpc("tools/call", {"name": tool, "arguments": [1]})),
        ("arguments a string", _rpc("tools/call", {"name": tool, "arguments": "x"})),
        ("id an object", _rpc("tools/list", {}, id_={"a": 1})),
        ("id huge", _rpc("tools/list", {}, id_=2**80)),
        ("batch", [_rpc("tools/list"), _rpc("tools/list", id_=2)]),
        ("empty batch", []),
        *[(f"resource {uri[:40]}", _rpc("resources/read", {"uri": uri})) for uri in uris],
    ]
    encoded = [(label, json.dumps(message).encode()) for label, message in cases]
    deep = b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": ' + nested(10_000) + b"}"
    return [*encoded, ("deep params", deep), ("not json", b"{oops"), ("empty", b"")]


def _check_mcp_answer(response: httpx.Response, where: str) -> None:
    text = response.text
    check_text(text, where)
    if response.status_code >= 500:
        raise Finding(f"{response.status_code} for {where}: {text[:300]}")
    for line in text.splitlines():
        payload = line[len("data: ") :] if line.startswith("data: ") else line
        try:
            message = json.loads(payload)
        except ValueError:
            continue
        for item in message if isinstance(message, list) else [message]:
            if not isinstance(item, dict):
                continue
            error = item.get("error")
            if isinstance(error, dict) and error.get("code") == -32603:
                raise Finding(f"JSON-RPC internal error for {where}: {error.get('message')!r}")
            result = item.get("result")
            if isinstance(result, dict) and result.get("isError"):
                check_error_payload(json.loads(result["content"][0]["text"]), 200, where)


def test_malformed_json_rpc_on_mcp(fuzz_target: ServiceProcess) -> None:
    findings: list[str] = []
    with httpx.Client() as client:
        for label, body in mcp_messages(fuzz_target):
            where = f"POST /mcp ({label})"
            try:
                response = client.post(
                    fuzz_target.mcp_url, content=body, headers=MCP_HEADERS, timeout=FUZZ_TIMEOUT
                )
                _check_mcp_answer(response, where)
            except httpx.TimeoutException:
                findings.append(f"no answer within {FUZZ_TIMEOUT} s for {where}")
            except Finding as exc:
                findings.append(str(exc))
    still_serving(fuzz_target)
    assert not findings, "\n".join(findings)


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "Bearer \xe9\xe9", "Bearer " + "k" * 10_000])
def test_odd_authorization_headers(fuzz_target: ServiceProcess, header: str) -> None:
    with httpx.Client(base_url=fuzz_target.url) as client:
        send(
            client,
            "POST",
            posts_of(fuzz_target)[0],
            content=b"{}",
            headers={"authorization": header.encode("latin-1")},  # type: ignore[dict-item]
        )

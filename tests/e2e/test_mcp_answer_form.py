"""A stateless MCP POST is answered with one JSON body unless the call can receive something meanwhile.

Raw HTTP against a real mcp-llm process, so the answer's form is seen on the wire: a ``tools/call``
without a progress token is ``application/json``; one with a token is an SSE stream carrying the
progress notifications before the result; a batch, a body that is not JSON and a client that accepts
only SSE get the SDK's own errors; an oversized body is still refused as the SDK refuses it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import ServiceProcess

HEADERS = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18"}
ARGUMENTS = {"provider": "mock", "messages": [{"role": "user", "content": "Hi"}], "cache": False}


def call(name: str, meta: dict[str, Any] | None = None, request_id: int = 1) -> dict[str, Any]:
    params: dict[str, Any] = {"name": name, "arguments": ARGUMENTS}
    if meta is not None:
        params["_meta"] = meta
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def sse_messages(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ") and line[6:]]


def post(server: ServiceProcess, content: bytes | str, headers: dict[str, str] = HEADERS) -> httpx.Response:
    return httpx.post(
        server.mcp_url,
        content=content,
        headers={"content-type": "application/json", **headers},
        timeout=30,
    )


def test_a_call_that_asks_for_no_progress_is_one_json_body(llm_server: ServiceProcess) -> None:
    response = post(llm_server, json.dumps(call("complete")))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert answer["id"] == 1 and not answer["result"]["isError"]
    assert answer["result"]["structuredContent"]["provider"] == "mock"


def test_a_call_with_a_progress_token_streams_progress_then_its_result(llm_server: ServiceProcess) -> None:
    response = post(llm_server, json.dumps(call("stream_complete", {"progressToken": "p-1"}, request_id=2)))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    messages = sse_messages(response.text)
    progress = [m for m in messages if m.get("method") == "notifications/progress"]
    assert progress and all(m["params"]["progressToken"] == "p-1" for m in progress)
    assert messages[-1]["id"] == 2 and not messages[-1]["result"]["isError"]
    streamed = "".join(m["params"]["message"] for m in progress)
    assert streamed == messages[-1]["result"]["structuredContent"]["content"]


@pytest.mark.parametrize(
    ("content", "headers", "status", "code"),
    [
        ("[" + json.dumps(call("complete")) + "]", HEADERS, 400, -32602),
        ("{not json", HEADERS, 400, -32700),
        (json.dumps(call("complete")), {**HEADERS, "accept": "text/event-stream"}, 406, -32600),
    ],
    ids=["batch", "not-json", "accepts-only-sse"],
)
def test_what_one_body_cannot_answer_gets_the_sdks_own_error(
    llm_server: ServiceProcess, content: str, headers: dict[str, str], status: int, code: int
) -> None:
    response = post(llm_server, content, headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_an_oversized_body_is_refused_as_before(llm_server: ServiceProcess) -> None:
    huge = json.dumps({**call("complete"), "padding": "x" * (5 * 1024 * 1024)})
    response = post(llm_server, huge)
    assert response.status_code == 413

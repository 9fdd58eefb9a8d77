"""The same debate through plain HTTP with real curl: tools, streaming, mirrors, exports."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from tests.conftest import ServiceProcess
from tests.debate.conftest import debate_args

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def curl(*args: str) -> str:
    done = subprocess.run(["curl", "-sS", *args], capture_output=True, text=True, check=True, timeout=60)
    return done.stdout


def post(server: ServiceProcess, tool: str, body: dict[str, Any], *extra: str) -> str:
    # no Content-Type header: curl sends a form type and the service reads the body as JSON anyway
    return curl("-X", "POST", f"{server.url}/tools/{tool}", "-d", json.dumps(body), *extra)


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for frame in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_a_debate_through_curl(debate_server: ServiceProcess) -> None:
    created = json.loads(
        post(debate_server, "create_debate", debate_args(topic="Is remote work here to stay?"))
    )
    debate_id = created["id"]
    assert created["state"] == "created"

    turn = json.loads(post(debate_server, "get_next_turn", {"debate_id": debate_id}))
    assert turn["message"]["speaker"] == "Pro" and turn["turns_taken"] == 1

    streamed = sse_events(
        post(debate_server, "get_next_turn", {"debate_id": debate_id, "stream": True}, "-N")
    )
    kinds = [kind for kind, _ in streamed]
    assert kinds[-1] == "done" and kinds.count("chunk") >= 3 and set(kinds[:-1]) == {"chunk"}
    done = streamed[-1][1]
    assert done["message"]["speaker"] == "Con"
    assert (
        "".join(data["content"] for kind, data in streamed if kind == "chunk") == done["message"]["content"]
    )

    run = sse_events(post(debate_server, "run_debate", {"debate_id": debate_id, "stream": True}, "-N"))
    assert [kind for kind, _ in run] == ["turn"] * 4 + ["done"]
    assert [data["turn"] for kind, data in run if kind == "turn"] == [3, 4, 5, 6]
    assert run[-1][1]["state"] == "completed"

    summary = json.loads(post(debate_server, "summarize_debate", {"debate_id": debate_id}))
    assert summary["covers_to_seq"] == 6

    view = json.loads(curl(f"{debate_server.url}/debates/{debate_id}"))
    assert view["state"] == "completed" and view["ledger"]["total"]["turns"] == 6
    messages = json.loads(curl(f"{debate_server.url}/debates/{debate_id}/messages?after_seq=4"))
    assert [m["seq"] for m in messages["messages"]] == [5, 6]
    people = json.loads(curl(f"{debate_server.url}/debates/{debate_id}/participants"))
    assert len(people["participants"]) == 3
    context = json.loads(curl(f"{debate_server.url}/debates/{debate_id}/context"))
    assert context["next_turn"] is None and len(context["participants"]) == 3
    listed = json.loads(curl(f"{debate_server.url}/debates?state=completed"))
    assert debate_id in [d["id"] for d in listed["debates"]]
    assert all(d["state"] == "completed" for d in listed["debates"])

    for fmt, marker in (("markdown", "# City cars"), ("html", "<!DOCTYPE html>"), ("text", "City cars\n")):
        exported = json.loads(post(debate_server, "export_debate", {"debate_id": debate_id, "format": fmt}))
        assert exported["content"].startswith(marker)
        raw = curl("-D", "-", f"{debate_server.url}/debates/{debate_id}/export?format={fmt}")
        headers, body = raw.split("\n\n", 1)  # text mode has turned CRLF into LF
        assert body == exported["content"]
        assert exported["media_type"] in headers
    exported_json = json.loads(
        post(debate_server, "export_debate", {"debate_id": debate_id, "format": "json"})
    )
    assert json.loads(exported_json["content"])["summary"]["covers_to_seq"] == 6


def test_get_tools_without_required_arguments(debate_server: ServiceProcess) -> None:
    listed = json.loads(curl(f"{debate_server.url}/tools/list_debates?limit=2"))
    assert listed["limit"] == 2 and len(listed["debates"]) <= 2
    tools = {t["name"] for t in json.loads(curl(f"{debate_server.url}/tools"))["tools"]}
    assert {"create_debate", "run_debate", "export_debate"} <= tools


def test_health_readiness_and_metrics(debate_server: ServiceProcess) -> None:
    assert json.loads(curl(f"{debate_server.url}/healthz"))["service"] == "mcp-debate"
    ready = json.loads(curl(f"{debate_server.url}/readyz"))
    assert ready["status"] == "ready"
    assert ready["checks"]["llm_service"]["status"] == "ok"
    assert ready["checks"]["database"]["status"] == "ok"
    metrics = curl(f"{debate_server.url}/metrics")
    for name in ("debate_turns_total", "debate_turn_overhead_seconds_bucket", "mcp_debate_tool_calls_total"):
        assert name in metrics

"""``batch_complete`` on a running mcp-llm (mock provider): order, ids, per-item errors, bounds, progress."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from mcp import Client

from tests.conftest import ServiceProcess

USER = [{"role": "user", "content": "Name a colour."}]


@pytest.fixture
def http(llm_server: ServiceProcess):
    with httpx.Client(base_url=llm_server.url, timeout=30) as client:
        yield client


def item(item_id: str, model: str = "mock-1", content: str = "Name a colour.", **extra: object) -> dict:
    return {"id": item_id, "model": model, "messages": [{"role": "user", "content": content}], **extra}


def test_results_come_back_in_input_order_with_per_item_errors(http: httpx.Client) -> None:
    items = [
        item("slow", "mock-slow-300", cache=False),
        item("ok", content="Name a fruit."),
        item("auth", "mock-fail-auth"),
        item("nobody", "no-such-model-9", provider="mock-nope"),
        item("echo", "mock-echo", content="parrot this"),
    ]
    response = http.post("/tools/batch_complete", json={"items": items, "concurrency": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["id"] for r in body["items"]] == ["slow", "ok", "auth", "nobody", "echo"]
    assert [r["ok"] for r in body["items"]] == [True, True, False, False, True]
    assert (body["succeeded"], body["failed"]) == (3, 2)
    assert body["items"][2]["error"]["type"] == "authentication" and body["items"][2]["response"] is None
    assert body["items"][3]["error"]["type"] in {"invalid_request", "not_found", "model_not_found"}
    assert "parrot this" in body["items"][4]["response"]["content"]
    assert body["items"][0]["response"]["model"] == "mock-slow-300"
    request_ids = {r["response"]["request_id"] for r in body["items"] if r["ok"]}
    assert len(request_ids) == 3  # each item is its own call


def test_the_concurrency_bound_holds(http: httpx.Client) -> None:
    items = [item(f"i{n}", "mock-slow-200", content=f"question {n}", cache=False) for n in range(6)]
    started = time.perf_counter()
    response = http.post("/tools/batch_complete", json={"items": items, "concurrency": 2})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and response.json()["succeeded"] == 6
    assert elapsed >= 3 * 0.2  # six 200 ms calls, two at a time, cannot take less than three rounds


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": []}, "items"),
        ({"items": [item("a"), item("a")]}, "items"),
        ({"items": [item(f"i{n}") for n in range(101)]}, "items"),
        ({"items": [item("a b")]}, "items[0].id"),
        ({"items": [item("a")], "concurrency": 17}, "concurrency"),
        ({"items": [{"id": "a", "messages": []}]}, "items[0].messages"),
    ],
)
def test_bad_batches_are_refused_naming_the_field(http: httpx.Client, body: dict, field: str) -> None:
    response = http.post("/tools/batch_complete", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request" and error["field"] == field, error


async def test_mcp_reports_each_finished_item_as_progress(llm_server: ServiceProcess) -> None:
    progress: list[dict] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(json.loads(message or "{}"))

    items = [item("a"), item("b", "mock-fail-server-error"), item("c", content="Another?")]
    async with Client(llm_server.mcp_url) as client:
        result = await client.call_tool("batch_complete", {"items": items}, progress_callback=on_progress)
    assert not result.is_error
    payload = result.structured_content or {}
    assert [r["id"] for r in payload["items"]] == ["a", "b", "c"]
    assert payload["items"][1]["error"]["type"] == "provider_unavailable"
    assert sorted(p["id"] for p in progress) == ["a", "b", "c"]
    assert sorted(p["done"] for p in progress) == [1, 2, 3] and {p["total"] for p in progress} == {3}

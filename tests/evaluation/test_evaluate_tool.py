"""The ``evaluate`` tool on real processes: mcp-debate running evaluations through a real mcp-llm.

``wait: false`` returns an id at once; ``get_evaluation`` shows progress and then the report;
``cancel_evaluation`` stops a run and keeps what finished; an evaluation belongs to the organization
that started it; an organization runs a bounded number at once; bad input names its field. Served
over ``/tools`` and MCP alike.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import debate_process, llm_process
from tests.llm.governance.conftest import ApiKey, make_key, unique

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SLOW = {"provider": "mock", "model": "mock-slow-150"}
MATH = {"provider": "mock", "model": "mock-math-60"}


def slow_run(items: int = 40) -> dict[str, Any]:
    return {
        "dataset": {"kind": "arithmetic", "items": items, "seed": 4},
        "concurrency": 1,
        "methods": [{"name": "slow", "kind": "single", "model": SLOW}],
        "wait": False,
    }


class Tenants:
    """mcp-llm and mcp-debate with API keys for two organizations; one evaluation at a time each."""

    def __init__(self, folder: Path) -> None:
        self.acme, self.globex = make_key(unique("acme")), make_key(unique("globex"))
        svc = make_key(unique("debate-svc"))
        self.llm = llm_process(
            AUTH_ENABLED="true",
            API_KEYS=",".join(k.entry for k in (self.acme, self.globex, svc)),
            AUTH_SERVICE_ORGANIZATIONS=svc.organization,
        )
        self.folder = folder / "evaluations"
        self.debate = debate_process(
            self.llm.url,
            folder / "debates.db",
            AUTH_ENABLED="true",
            API_KEYS=f"{self.acme.entry},{self.globex.entry}",
            LLM_SERVICE_API_KEY=svc.key,
            EVALUATION_DIR=str(self.folder),
            EVALUATION_MAX_RUNNING="1",
        )

    def tool(self, key: ApiKey, name: str, args: dict[str, Any]) -> httpx.Response:
        return httpx.post(f"{self.debate.url}/tools/{name}", json=args, headers=key.headers, timeout=120)


@pytest.fixture(scope="module")
def tenants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenants]:
    setup = Tenants(tmp_path_factory.mktemp("evaluate-tool"))
    setup.llm.start(timeout=90)
    try:
        setup.debate.start(timeout=90)
        yield setup
    finally:
        setup.debate.stop()
        setup.llm.stop()


def started(tenants: Tenants, key: ApiKey, run: dict[str, Any]) -> str:
    began = time.monotonic()
    response = tenants.tool(key, "evaluate", run)
    assert response.status_code == 200, response.text
    assert time.monotonic() - began < 10  # the id comes back at once, not after 40 slow items
    body = response.json()
    assert body["state"] == "running" and body["report"] is None
    return str(body["evaluation_id"])


def progress(tenants: Tenants, key: ApiKey, evaluation_id: str) -> dict[str, Any]:
    response = tenants.tool(key, "get_evaluation", {"evaluation_id": evaluation_id})
    assert response.status_code == 200, response.text
    return dict(response.json())


def until(tenants: Tenants, key: ApiKey, evaluation_id: str, done: int) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        view = progress(tenants, key, evaluation_id)
        if view["methods"][0]["done"] >= done or view["state"] != "running":
            return view
        time.sleep(0.1)
    raise AssertionError(f"{evaluation_id} did not reach {done} items")


def test_wait_false_returns_an_id_progress_shows_and_cancel_keeps_what_finished(tenants: Tenants) -> None:
    acme = tenants.acme
    evaluation_id = started(tenants, acme, slow_run())
    midway = until(tenants, acme, evaluation_id, 3)
    assert midway["state"] == "running"
    slow = midway["methods"][0]
    assert 3 <= slow["done"] < 40 and slow["tokens"] > 0 and slow["accuracy"] is not None
    assert midway["tokens"] == slow["tokens"]

    cancelled = tenants.tool(acme, "cancel_evaluation", {"evaluation_id": evaluation_id})
    assert cancelled.status_code == 200, cancelled.text
    view = cancelled.json()
    assert view["state"] == "cancelled" and view["finished_at"] is not None
    report = view["report"]
    assert report["partial"] is True
    kept = report["methods"][0]["items"]
    assert kept == view["methods"][0]["done"] and 3 <= kept < 40
    time.sleep(1.0)  # nothing runs on after the cancel
    assert progress(tenants, acme, evaluation_id)["methods"][0]["done"] == kept
    on_disk = json.loads((tenants.folder / evaluation_id / "report.json").read_text())
    assert on_disk == report
    lines = (tenants.folder / evaluation_id / "results.jsonl").read_text().splitlines()
    assert len(lines) == kept


def test_an_evaluation_is_invisible_to_other_organizations(tenants: Tenants) -> None:
    run = {**slow_run(3), "wait": True}
    response = tenants.tool(tenants.acme, "evaluate", run)
    assert response.status_code == 200, response.text
    finished = response.json()
    assert finished["state"] == "completed" and finished["report"]["methods"][0]["items"] == 3
    evaluation_id = finished["evaluation_id"]
    for tool in ("get_evaluation", "cancel_evaluation"):
        other = tenants.tool(tenants.globex, tool, {"evaluation_id": evaluation_id})
        missing = tenants.tool(tenants.globex, tool, {"evaluation_id": "eval_" + "0" * 20})
        assert other.status_code == missing.status_code == 404, other.text
        assert other.json()["error"]["field"] == "evaluation_id"
        assert other.json()["error"]["message"].replace(evaluation_id, "X") == missing.json()["error"][
            "message"
        ].replace("eval_" + "0" * 20, "X")
    assert progress(tenants, tenants.acme, evaluation_id)["state"] == "completed"


def test_an_organization_runs_a_bounded_number_of_evaluations_at_once(tenants: Tenants) -> None:
    acme, globex = tenants.acme, tenants.globex
    first = started(tenants, acme, slow_run())
    try:
        refused = tenants.tool(acme, "evaluate", slow_run())
        assert refused.status_code == 429, refused.text
        assert "EVALUATION_MAX_RUNNING" in refused.json()["error"]["message"]
        other = started(tenants, globex, slow_run())  # another organization has its own allowance
        tenants.tool(globex, "cancel_evaluation", {"evaluation_id": other})
    finally:
        tenants.tool(acme, "cancel_evaluation", {"evaluation_id": first})
    again = started(tenants, acme, slow_run(2))
    assert until(tenants, acme, again, 2)["methods"][0]["done"] == 2


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"methods": []}, "methods"),
        ({"methods": [{"name": "s", "kind": "single"}]}, "methods[0]"),
        ({"methods": [{"name": "s", "kind": "single", "model": MATH}], "concurrency": 0}, "concurrency"),
        (
            {
                "dataset": {"kind": "jsonl", "path": "/etc/passwd"},
                "methods": [{"name": "s", "kind": "single", "model": MATH}],
            },
            "dataset.kind",
        ),
        (
            {"dataset": {"kind": "items"}, "methods": [{"name": "s", "kind": "single", "model": MATH}]},
            "dataset",
        ),
        (
            {"dataset": {"items": 1_000_000}, "methods": [{"name": "s", "kind": "single", "model": MATH}]},
            "dataset.items",
        ),
        (
            {"dataset": {"items": 5000}, "methods": [{"name": "s", "kind": "single", "model": MATH}]},
            "dataset.items",
        ),
        (
            {"methods": [{"name": "s", "kind": "single", "model": MATH}], "feedback": {"metric": "a b"}},
            "feedback.metric",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field(tenants: Tenants, args: dict[str, Any], field: str) -> None:
    response = tenants.tool(tenants.acme, "evaluate", {**args, "wait": False})
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]["field"] == field, response.text


def test_a_malformed_evaluation_id_is_refused_naming_the_field(tenants: Tenants) -> None:
    for value in ("../../etc", "eval_" + "0" * 200, ""):
        response = tenants.tool(tenants.acme, "get_evaluation", {"evaluation_id": value})
        assert response.status_code in (400, 422), response.text
        assert response.json()["error"]["field"] == "evaluation_id"


async def test_the_tools_are_served_over_mcp(tenants: Tenants) -> None:
    run = {
        "dataset": {
            "kind": "items",
            "entries": [
                {"question": "What is 2+3*4?", "answer": 14},
                {"question": "What is 7*6-1?", "answer": "41"},
            ],
        },
        "methods": [{"name": "single", "kind": "single", "model": MATH}],
    }
    async with (
        httpx2.AsyncClient(headers=tenants.acme.headers, timeout=60) as http,
        Client(streamable_http_client(f"{tenants.debate.url}/mcp", http_client=http)) as client,
    ):
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"evaluate", "get_evaluation", "cancel_evaluation"} <= names
        result = await client.call_tool("evaluate", run)
        assert not result.is_error, result.content
        view = dict(result.structured_content or {})
        again = await client.call_tool("get_evaluation", {"evaluation_id": view["evaluation_id"]})
    assert view["state"] == "completed"
    assert view["report"]["methods"][0]["items"] == 2
    assert dict(again.structured_content or {})["report"] == view["report"]

"""Providers without a batch API (here the mock) run a job as a throttled fan-out with the same tools;
over MCP as over /tools; and an organization sees and cancels only its own jobs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from mcp import Client

from mcp_shared.auth import generate_key, hash_key
from tests.conftest import ServiceProcess, llm_process
from tests.llm.batch_jobs.conftest import FAST_POLLS, call, usage, wait_for_end

pytestmark = pytest.mark.timeout(300)  # the module starts server processes on a busy machine


class Key:
    """A key made when the test runs (no key-shaped literal is tracked)."""

    def __init__(self, organization: str) -> None:
        self.organization = organization
        self.key = generate_key()
        self.entry = f"{organization}:{hash_key(self.key)}"


def test_mock_jobs_fan_out_through_the_chain(batch_server: ServiceProcess) -> None:
    organization = f"org-{uuid.uuid4().hex[:8]}"
    items = [
        {"id": f"e{n}", "model": "mock-echo", "messages": [{"role": "user", "content": f"echo {n}"}]}
        for n in range(4)
    ]
    response = call(batch_server, "submit_batch", {"items": items, "organization_id": organization})
    assert response.status_code == 200, response.text
    assert response.json()["backend"] == "fanout"
    ended = wait_for_end(batch_server, response.json()["id"], organization_id=organization)
    assert ended["state"] == "completed"
    assert [r["id"] for r in ended["items"]] == ["e0", "e1", "e2", "e3"]
    assert [r["response"]["content"] for r in ended["items"]] == [f"echo {n}" for n in range(4)]
    assert ended["cost_usd"] == 0.0 and ended["counts"]["succeeded"] == 4
    assert usage(batch_server, organization)["totals"]["requests"] == 4  # billed by the chain, once each


async def test_the_tools_are_served_over_mcp(batch_server: ServiceProcess) -> None:
    items = [{"id": "m", "model": "mock-1", "messages": [{"role": "user", "content": "Name a colour."}]}]
    async with Client(batch_server.mcp_url) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"submit_batch", "get_batch", "cancel_batch"} <= names
        submitted = await client.call_tool("submit_batch", {"items": items})
        assert not submitted.is_error
        job_id = (submitted.structured_content or {})["id"]
        ended = wait_for_end(batch_server, job_id)
        got = await client.call_tool("get_batch", {"id": job_id})
        refused = await client.call_tool("submit_batch", {"items": []})
    assert (got.structured_content or {})["items"] == ended["items"]
    assert refused.is_error and "items" in refused.content[0].text


@pytest.fixture(scope="module")
def keys() -> tuple[Key, Key]:
    return Key("alpha"), Key("beta")


@pytest.fixture(scope="module")
def auth_server(keys: tuple[Key, Key], tmp_path_factory) -> Iterator[ServiceProcess]:
    alpha, beta = keys
    proc = llm_process(
        AUTH_ENABLED="true",
        API_KEYS=f"{alpha.entry},{beta.entry}",
        BATCH_STORE_PATH=str(tmp_path_factory.mktemp("auth-batches") / "jobs.db"),
        **FAST_POLLS,
    ).start(timeout=90)
    yield proc
    proc.stop()


def test_an_organization_sees_only_its_own_jobs(auth_server: ServiceProcess, keys: tuple[Key, Key]) -> None:
    alpha, beta = keys
    items = [{"id": "a", "model": "mock-slow-300", "messages": [{"role": "user", "content": "Hi"}]}]
    submitted = call(auth_server, "submit_batch", {"items": items}, key=alpha.key)
    assert submitted.status_code == 200, submitted.text
    job_id = submitted.json()["id"]
    for tool in ("get_batch", "cancel_batch"):
        foreign = call(auth_server, tool, {"id": job_id}, key=beta.key)
        assert foreign.status_code == 404, foreign.text
        assert foreign.json()["error"]["field"] == "id"
        asked = call(auth_server, tool, {"id": job_id, "organization_id": "alpha"}, key=beta.key)
        assert asked.status_code == 404, asked.text  # an ordinary key cannot act for another organization
    assert call(auth_server, "get_batch", {"id": job_id}).status_code == 401
    ended = wait_for_end(auth_server, job_id, key=alpha.key)
    assert ended["state"] == "completed" and ended["items"][0]["ok"]


def test_the_job_file_is_made_by_the_first_job_and_read_again_after_a_restart(tmp_path) -> None:
    """A service that never had a batch job leaves no SQLite file in its working directory."""
    store = tmp_path / "jobs.db"
    proc = llm_process(BATCH_STORE_PATH=str(store), **FAST_POLLS).start(timeout=90)
    try:
        assert call(proc, "get_batch", {"id": "bj_" + "0" * 24}).status_code == 404
        assert not store.exists()
        items = [{"id": "a", "model": "mock-echo", "messages": [{"role": "user", "content": "echo a"}]}]
        submitted = call(proc, "submit_batch", {"items": items})
        assert submitted.status_code == 200, submitted.text
        job_id = submitted.json()["id"]
        assert wait_for_end(proc, job_id)["state"] == "completed"
        assert store.exists()
    finally:
        proc.stop()
    again = llm_process(BATCH_STORE_PATH=str(store), **FAST_POLLS).start(timeout=90)
    try:
        body = call(again, "get_batch", {"id": job_id}).json()
        assert body["state"] == "completed" and body["items"][0]["response"]["content"] == "echo a"
    finally:
        again.stop()

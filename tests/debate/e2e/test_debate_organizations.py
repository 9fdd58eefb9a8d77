"""mcp-debate with API keys, in front of an mcp-llm with API keys: every route needs a key, a debate belongs
to the organization that created it and is invisible to others, and its LLM usage is billed to that
organization in mcp-llm through mcp-debate's service key."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from mcp_shared.auth import KeyRing
from tests.conftest import ROOT, ServiceProcess, clean_env, llm_process, wait_until
from tests.debate.conftest import debate_args, debate_process
from tests.llm.governance.conftest import ApiKey, make_key, unique

MISSING = "deb_" + "0" * 20
DEBATE_RESOURCES = (
    "debates://{id}",
    "debates://{id}/messages",
    "debates://{id}/participants",
    "debates://{id}/context",
)
DEBATE_MIRRORS = ("", "/messages", "/participants", "/context", "/export?format=markdown")


class Tenants:
    """mcp-llm (service organization ``svc``, METRICS_AUTH on) and mcp-debate, both admitting acme, globex."""

    def __init__(self, database: Path) -> None:
        self.acme, self.globex = make_key(unique("acme")), make_key(unique("globex"))
        self.svc = make_key(unique("debate-svc"))
        self.llm = llm_process(
            AUTH_ENABLED="true",
            API_KEYS=",".join(k.entry for k in (self.acme, self.globex, self.svc)),
            AUTH_SERVICE_ORGANIZATIONS=self.svc.organization,
            METRICS_AUTH="true",
        )
        self.debate_env = {
            "AUTH_ENABLED": "true",
            "API_KEYS": f"{self.acme.entry},{self.globex.entry}",  # the same keys admit them to both
            "LLM_SERVICE_API_KEY": self.svc.key,
        }
        self.debate = self.debate_service(database)

    def debate_service(self, database: Path, name: str = "mcp-debate") -> ServiceProcess:
        return debate_process(self.llm.url, database, name=name, **self.debate_env)

    def usage(self, key: ApiKey) -> int:
        """Requests billed to the key's organization in mcp-llm today."""
        response = httpx.get(
            f"{self.llm.url}/usage", params={"period": "today"}, headers=key.headers, timeout=10
        )
        response.raise_for_status()
        return int(response.json()["totals"]["requests"])

    def usages(self) -> tuple[int, int, int]:
        return self.usage(self.acme), self.usage(self.globex), self.usage(self.svc)


@pytest.fixture(scope="module")
def tenants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenants]:
    setup = Tenants(tmp_path_factory.mktemp("organizations") / "debates.db")
    setup.llm.start()
    try:
        setup.debate.start()
        yield setup
    finally:
        setup.debate.stop()
        setup.llm.stop()


def tool(server: ServiceProcess, key: ApiKey, name: str, args: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.url}/tools/{name}", json=args, headers=key.headers, timeout=60)


def created(server: ServiceProcess, key: ApiKey, **overrides: Any) -> str:
    response = tool(server, key, "create_debate", debate_args(("Pro", "Con"), **overrides))
    assert response.status_code == 200, response.text
    assert response.json()["organization_id"] == key.organization
    return str(response.json()["id"])


def as_missing(payload: Any, debate_id: str) -> Any:
    """The payload with the debate id replaced by the id of a debate that does not exist."""
    return json.loads(json.dumps(payload).replace(debate_id, MISSING))


def test_every_route_but_the_probes_needs_a_key(tenants: Tenants) -> None:
    with httpx.Client(base_url=tenants.debate.url, timeout=10) as http:
        for method, path in [
            ("POST", "/tools/create_debate"),
            ("POST", "/tools/get_next_turn"),
            ("GET", "/tools"),
            ("GET", "/tools/list_debates"),
            ("POST", "/mcp"),
            ("GET", "/debates"),
            ("GET", f"/debates/{MISSING}/export"),
        ]:
            response = http.request(method, path, json={})
            assert response.status_code == 401, (path, response.text)
            error = response.json()["error"]
            assert error["type"] == "authentication"
            assert error["message"] == "missing API key: send 'Authorization: Bearer <key>'"
            assert response.headers["www-authenticate"] == 'Bearer realm="mcp-debate"'
        wrong = http.get("/debates", headers={"Authorization": f"Bearer {make_key('x').key}"})
        assert wrong.status_code == 401 and wrong.json()["error"]["message"].startswith("unknown API key")
        assert http.get("/healthz").status_code == 200
        assert http.get("/readyz").status_code == 200  # mcp-llm answers mcp-debate's key
        assert http.get("/metrics").status_code == 200  # open for scrapers by default
    # METRICS_AUTH puts /metrics behind the keys too (mcp-llm runs with it here).
    assert httpx.get(f"{tenants.llm.url}/metrics", timeout=10).status_code == 401
    assert (
        httpx.get(f"{tenants.llm.url}/metrics", headers=tenants.acme.headers, timeout=10).status_code == 200
    )
    assert tenants.acme.key not in tenants.debate.log_text()


def test_another_organizations_debate_answers_like_one_that_does_not_exist(tenants: Tenants) -> None:
    server, acme, globex = tenants.debate, tenants.acme, tenants.globex
    debate_id = created(server, acme)
    listing = httpx.get(f"{server.url}/tools", headers=globex.headers, timeout=10).json()["tools"]
    naming_a_debate = [t["name"] for t in listing if "debate_id" in t["input_schema"].get("properties", {})]
    assert {
        "get_debate",
        "get_next_turn",
        "run_debate",
        "pause_debate",
        "cancel_debate",
        "add_message",
    } <= set(naming_a_debate)
    for name in naming_a_debate:
        extra = {"content": "a word from elsewhere"} if name == "add_message" else {}
        foreign = tool(server, globex, name, {"debate_id": debate_id, **extra})
        missing = tool(server, globex, name, {"debate_id": MISSING, **extra})
        assert foreign.status_code == missing.status_code == 404, (name, foreign.text)
        assert as_missing(foreign.json(), debate_id) == missing.json(), name

    with httpx.Client(base_url=server.url, headers=globex.headers, timeout=10) as http:
        for suffix in DEBATE_MIRRORS:
            foreign, missing = (
                http.get(f"/debates/{debate_id}{suffix}"),
                http.get(f"/debates/{MISSING}{suffix}"),
            )
            assert foreign.status_code == missing.status_code == 404, suffix
            assert as_missing(foreign.json(), debate_id) == missing.json()
        assert debate_id not in http.get("/debates").text
        assert debate_id not in http.get("/tools/list_debates").text

    async def resources() -> tuple[list[tuple[str, Any]], str]:
        async with (
            httpx2.AsyncClient(headers=globex.headers, timeout=10) as http,
            Client(streamable_http_client(server.mcp_url, http_client=http)) as client,
        ):
            errors = []
            for template in DEBATE_RESOURCES:
                for target in (debate_id, MISSING):
                    try:
                        await client.read_resource(template.format(id=target))
                    except MCPError as exc:
                        errors.append((template, as_missing(exc.error.model_dump(), debate_id)))
            listed = (await client.read_resource("debates://list")).contents[0].text
        return errors, listed

    errors, listed = asyncio.run(resources())
    assert len(errors) == 2 * len(DEBATE_RESOURCES)
    assert all(errors[i] == errors[i + 1] for i in range(0, len(errors), 2))
    assert debate_id not in listed

    # Nothing globex tried changed acme's debate: not paused, cancelled, run or written into.
    view = httpx.get(f"{server.url}/debates/{debate_id}", headers=acme.headers, timeout=10).json()
    assert (view["state"], view["turns_taken"], view["message_count"]) == ("created", 0, 0)
    assert debate_id in httpx.get(f"{server.url}/debates", headers=acme.headers, timeout=10).text


def test_another_organizations_debate_cannot_be_followed_nor_heard_of(tenants: Tenants) -> None:
    """Resource subscriptions (both eras) and event streams: a foreign debate is refused like a missing
    one, and a follower of debates://list hears of its own organization's debates only."""
    server, acme, globex = tenants.debate, tenants.acme, tenants.globex
    theirs = created(server, acme)

    async def follow(mode: str) -> tuple[list[int], list[str]]:
        codes: list[int] = []
        heard: list[str] = []
        async with (
            httpx2.AsyncClient(headers=globex.headers, timeout=30) as http,
            Client(streamable_http_client(server.mcp_url, http_client=http), mode=mode) as client,
        ):
            for target in (theirs, MISSING):
                try:
                    if mode == "legacy":
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            await client.subscribe_resource(f"debates://{target}/messages")
                    else:
                        async with client.listen(resource_subscriptions=[f"debates://{target}"]):
                            pass
                except MCPError as exc:
                    codes.append(exc.error.code)
            if mode == "auto":
                async with client.listen(resource_subscriptions=["debates://list"]) as sub:
                    ran = await asyncio.to_thread(tool, server, acme, "run_debate", {"debate_id": theirs})
                    assert ran.status_code == 200
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(1.0):
                            async for event in sub:
                                heard.append(event.uri)
        return codes, heard

    for mode in ("legacy", "auto"):
        codes, heard = asyncio.run(follow(mode))
        assert codes == [-32002, -32002], mode
        assert heard == [], mode
    streamed = httpx.get(f"{server.url}/debates/{theirs}/events", headers=globex.headers, timeout=10)
    assert streamed.status_code == 404


def test_each_organizations_debates_are_billed_to_it_in_mcp_llm(tenants: Tenants) -> None:
    server, acme, globex = tenants.debate, tenants.acme, tenants.globex
    before = tenants.usages()
    ours, theirs = created(server, acme), created(server, globex)
    for _ in range(2):
        assert tool(server, acme, "get_next_turn", {"debate_id": ours}).status_code == 200
    assert tool(server, acme, "summarize_debate", {"debate_id": ours}).status_code == 200
    assert tool(server, globex, "get_next_turn", {"debate_id": theirs}).status_code == 200
    after = tenants.usages()
    # acme: two turns and one summary; globex: one turn; mcp-debate's own organization: nothing.
    assert tuple(a - b for a, b in zip(after, before, strict=True)) == (3, 1, 0)

    async def conversation(key: ApiKey) -> list[dict[str, Any]]:
        async with (
            httpx2.AsyncClient(headers=key.headers, timeout=10) as http,
            Client(streamable_http_client(tenants.llm.mcp_url, http_client=http)) as client,
        ):
            read = await client.read_resource(f"llm://conversations/debate:{ours}")
        return list(json.loads(read.contents[0].text)["exchanges"])

    turns = asyncio.run(conversation(acme))
    assert [e["organization_id"] for e in turns] == [acme.organization] * 2
    assert asyncio.run(conversation(globex)) == []


@pytest.mark.slow
def test_a_run_resumed_after_a_crash_keeps_its_owner_and_its_billing(
    tenants: Tenants, tmp_path: Path
) -> None:
    acme, globex = tenants.acme, tenants.globex
    database = tmp_path / "crash.db"
    first = tenants.debate_service(database).start()
    restarted = None
    try:
        before = tenants.usages()
        debate_id = created(first, acme, model="mock-slow-200")
        assert tool(first, acme, "run_debate", {"debate_id": debate_id, "wait": False}).json()["running"]

        def turns(server: ServiceProcess) -> int:
            view = httpx.get(f"{server.url}/debates/{debate_id}", headers=acme.headers, timeout=10).json()
            return int(view["turns_taken"]) if view["state"] != "completed" else 99

        wait_until(lambda: turns(first) >= 1, timeout=30, what="the first turn")
        first.kill()
        restarted = tenants.debate_service(database, name="mcp-debate-restarted").start()
        wait_until(lambda: turns(restarted) == 99, timeout=60, what="the resumed run to finish")
        assert "resumed 1 interrupted run" in restarted.log_text()
        hidden = httpx.get(f"{restarted.url}/debates/{debate_id}", headers=globex.headers, timeout=10)
        assert hidden.status_code == 404
        acme_calls, globex_calls, svc_calls = (a - b for a, b in zip(tenants.usages(), before, strict=True))
        assert acme_calls >= 4  # every turn (a turn cut by the crash is billed too), all to acme
        assert (globex_calls, svc_calls) == (0, 0)
    finally:
        first.stop()
        if restarted is not None:
            restarted.stop()


def test_with_authentication_off_every_debate_belongs_to_the_default_organization(
    debate_server: ServiceProcess,
) -> None:
    response = httpx.post(f"{debate_server.url}/tools/create_debate", json=debate_args(), timeout=30)
    assert response.status_code == 200 and response.json()["organization_id"] == "default"
    listed = httpx.get(f"{debate_server.url}/debates", timeout=10).json()["debates"]
    assert response.json()["id"] in {d["id"] for d in listed}


def test_keygen_prints_a_key_and_the_entry_that_admits_it() -> None:
    made = subprocess.run(
        [sys.executable, "-m", "mcp_debate", "keygen", "--organization", "acme"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = dict(line.split(":", 1) for line in made.stdout.strip().splitlines())
    key, entry = lines["key"].strip(), lines["API_KEYS"].strip()
    assert KeyRing([entry]).organization_of(key) == "acme"
    refused = subprocess.run(
        [sys.executable, "-m", "mcp_debate", "keygen", "--organization", "a:b"],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and "keygen needs --organization NAME" in refused.stderr


def test_the_command_line_presents_its_key_from_the_environment(tenants: Tenants) -> None:
    def run(**env: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "mcp_debate", "run", "--url", tenants.debate.url, "-r", "1"]
        return subprocess.run(
            [*command, "--no-export", "--plain"],
            env=clean_env(**env),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    refused = run()
    assert refused.returncode == 2, refused.stderr
    assert "requires an API key" in refused.stderr and "MCP_DEBATE_API_KEY" in refused.stderr
    wrong = run(MCP_DEBATE_API_KEY=make_key("x").key)
    assert wrong.returncode == 2 and "refused the key in MCP_DEBATE_API_KEY" in wrong.stderr
    done = run(MCP_DEBATE_API_KEY=tenants.acme.key)
    assert done.returncode == 0, done.stderr
    debate_id = done.stdout.split("Debate ")[-1].split()[0]
    mine = httpx.get(f"{tenants.debate.url}/debates/{debate_id}", headers=tenants.acme.headers, timeout=10)
    assert mine.json()["state"] == "completed" and mine.json()["organization_id"] == tenants.acme.organization
    assert tenants.acme.key not in done.stdout + done.stderr + refused.stderr

"""Bearer keys on the HTTP transports: 401 without a valid key everywhere, the organization taken from
the key, usage invisible across organizations, and no key (or hash) in any log line."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_llm.__main__ import main as cli
from mcp_shared.auth import KeyRing, generate_key, hash_key
from tests.conftest import ServiceProcess
from tests.llm.governance.conftest import ApiKey, make_key, unique

USER = [{"role": "user", "content": "hello"}]


@pytest.fixture
def tenants(processes: Callable[..., ServiceProcess]) -> tuple[ServiceProcess, ApiKey, ApiKey, ApiKey]:
    alpha, beta, admin = make_key(unique("alpha")), make_key(unique("beta")), make_key("billing")
    server = processes(
        AUTH_ENABLED="true",
        API_KEYS=",".join(k.entry for k in (alpha, beta, admin)),
        AUTH_ADMIN_ORGANIZATIONS="billing",
    )
    return server, alpha, beta, admin


def test_no_key_or_a_wrong_key_is_401_on_every_protected_route(tenants) -> None:
    server, alpha, _, _ = tenants
    wrong = {"Authorization": f"Bearer {generate_key()}"}
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for headers in ({}, wrong, {"Authorization": alpha.key}):  # the last lacks the Bearer scheme
            for method, path in [
                ("POST", "/tools/complete"),
                ("GET", "/tools/list_models"),
                ("GET", "/tools"),
                ("GET", "/usage"),
                ("POST", "/mcp"),
                ("POST", "/v1/chat/completions"),
            ]:
                response = http.request(method, path, json={"messages": USER}, headers=headers)
                assert response.status_code == 401, (path, response.text)
                error = response.json()["error"]
                assert error["type"] == "authentication"
                assert error["message"].endswith(": send 'Authorization: Bearer <key>'")
                assert response.headers["www-authenticate"] == 'Bearer realm="mcp-llm"'
        assert http.get("/healthz").status_code == 200  # probes and scrapers need no key
        assert http.get("/metrics").status_code == 200
        ok = http.post("/tools/complete", json={"provider": "mock", "messages": USER}, headers=alpha.headers)
        assert ok.status_code == 200


def test_the_key_decides_the_organization_and_usage_stays_private(tenants) -> None:
    server, alpha, beta, admin = tenants
    with httpx.Client(base_url=server.url, timeout=10) as http:
        # alpha tries to bill beta: the key wins over the argument.
        http.post(
            "/tools/complete",
            json={"provider": "mock", "messages": USER, "organization_id": beta.organization, "cache": False},
            headers=alpha.headers,
        ).raise_for_status()
        mine = http.get("/usage", params={"period": "today"}, headers=alpha.headers).json()
        assert mine["organization_id"] == alpha.organization and mine["totals"]["requests"] == 1
        # beta cannot see alpha's usage, even by asking for it.
        theirs = http.post(
            "/tools/usage_report", json={"organization_id": alpha.organization}, headers=beta.headers
        ).json()
        assert theirs["organization_id"] == beta.organization and theirs["totals"]["requests"] == 0
        assert all(row["organization"] == beta.organization for row in theirs["rows"])
        # An admin key reads any organization, or all of them.
        audited = http.get(
            "/usage", params={"organization_id": alpha.organization, "period": "today"}, headers=admin.headers
        ).json()
        assert audited["totals"]["requests"] == 1
        everyone = http.get("/usage", params={"period": "today", "format": "csv"}, headers=admin.headers)
        assert everyone.headers["content-type"].startswith("text/csv")
        assert alpha.organization in everyone.text and beta.organization not in everyone.text


def test_mcp_over_http_with_a_bearer_key(tenants) -> None:
    server, alpha, _, _ = tenants

    async def run() -> dict:
        async with (
            httpx2.AsyncClient(headers=alpha.headers, timeout=10) as http,
            Client(streamable_http_client(server.mcp_url, http_client=http)) as client,
        ):
            result = await client.call_tool(
                "complete", {"provider": "mock", "messages": USER, "organization_id": "someone-else"}
            )
            assert not result.is_error
            report = await client.call_tool("usage_report", {"period": "today"})
            return report.structured_content or {}

    report = asyncio.run(run())
    assert report["organization_id"] == alpha.organization and report["totals"]["requests"] >= 1


def test_no_key_or_hash_reaches_the_log(tenants) -> None:
    server, alpha, beta, _ = tenants
    wrong = generate_key()
    with httpx.Client(base_url=server.url, timeout=10) as http:
        http.post("/tools/complete", json={"provider": "mock", "messages": USER}, headers=alpha.headers)
        http.post(
            "/tools/complete",
            json={"provider": "mock", "messages": USER},
            headers={"Authorization": f"Bearer {wrong}"},
        )
        http.post("/tools/complete", json={"provider": "mock", "messages": wrong}, headers=beta.headers)
    log = server.log_text()
    assert "rejected unauthenticated call" in log and "tool call" in log
    for secret in (alpha.key, beta.key, wrong, hash_key(alpha.key), hash_key(alpha.key).split(":")[1]):
        assert secret not in log


def test_auth_on_without_keys_refuses_to_start(processes: Callable[..., ServiceProcess]) -> None:
    with pytest.raises(RuntimeError, match="exited"):
        processes(AUTH_ENABLED="true")


def test_keyring_and_keygen(capsys: pytest.CaptureFixture[str]) -> None:
    cli(["keygen", "--organization", "acme"])
    lines = dict(line.split(":", 1) for line in capsys.readouterr().out.strip().splitlines())
    key, entry = lines["key"].strip(), lines["API_KEYS"].strip()
    ring = KeyRing([entry])
    assert ring.organization_of(key) == "acme"
    assert ring.organization_of(key + "x") is None
    with pytest.raises(ValueError, match="organization:sha256") as raised:
        KeyRing([f"acme:{key}"])  # a plain key is not accepted as configuration
    assert key not in str(raised.value)

"""The web page with API keys on: it refuses without a key, signs in with one (the key never in an
address), shows only the organization's own debates, and its event streams need the session too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import ServiceProcess, debate_process
from tests.llm.governance.conftest import ApiKey, make_key, unique


@pytest.fixture(scope="module")
def keys() -> tuple[ApiKey, ApiKey]:
    return make_key(unique("acme")), make_key(unique("globex"))


@pytest.fixture(scope="module")
def guarded(
    llm_mock: ServiceProcess, keys: tuple[ApiKey, ApiKey], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    acme, globex = keys
    proc = debate_process(
        llm_mock.url,
        tmp_path_factory.mktemp("web-auth") / "debates.db",
        AUTH_ENABLED="true",
        API_KEYS=f"{acme.entry},{globex.entry}",
        LOG_LEVEL="DEBUG",
    ).start()
    yield proc
    proc.stop()


def sign_in(page: Any, server: ServiceProcess, key: str) -> None:
    page.goto(server.url + "/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def test_the_page_refuses_without_a_key(page: Any, guarded: ServiceProcess, keys: Any) -> None:
    response = page.goto(guarded.url + "/")
    assert response.status == 401
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("#debates")).to_have_count(0)
    assert page.goto(guarded.url + "/watch/deb_00000000000000000000").status == 401
    sign_in(page, guarded, "mcpk_not-a-key")
    expect(page.get_by_role("alert")).to_contain_text("not known")
    expect(page.locator("#debates")).to_have_count(0)
    # the browser's own requests are refused too, streams included
    status = page.evaluate("fetch('/debates/events').then(r => r.status)")
    assert status == 401


def test_a_key_signs_in_and_scopes_everything_to_its_organization(
    page: Any, guarded: ServiceProcess, keys: tuple[ApiKey, ApiKey]
) -> None:
    acme, globex = keys
    theirs = httpx.post(
        f"{guarded.url}/tools/create_debate",
        headers=globex.headers,
        json={
            "name": "Globex only",
            "topic": "Secret plans?",
            "participants": [
                {"name": "A", "llm_config": {"provider": "mock"}},
                {"name": "B", "llm_config": {"provider": "mock"}},
            ],
            "max_rounds": 1,
        },
        timeout=10,
    ).json()
    sign_in(page, guarded, acme.key)
    expect(page.get_by_role("heading", name="Debates", exact=True)).to_be_visible()
    assert acme.key not in page.url
    cookie = next(c for c in page.context.cookies() if c["name"] == "mcp_debate_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and acme.key not in cookie["value"]
    expect(page.locator("#debates")).not_to_contain_text("Globex only")

    page.get_by_label("Topic or question").fill("Acme's question?")
    page.get_by_role("button", name="Start and watch").click()
    expect(page.locator('[data-field="state"]')).to_have_text("completed", timeout=30_000)
    expect(page.locator('[data-field="transcript"] > li')).to_have_count(4)
    # another organization's debate is not there for this session, page or stream
    assert page.goto(f"{guarded.url}/watch/{theirs['id']}").status == 404
    status = page.evaluate(f"fetch('/debates/{theirs['id']}/events').then(r => r.status)")
    assert status == 404
    # the key was never logged, nor put in any address the browser visited
    log = guarded.log_text()
    assert acme.key not in log and globex.key not in log

    page.goto(guarded.url + "/")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_cookie_does_not_work_from_another_site_or_on_mcp(
    page: Any, guarded: ServiceProcess, keys: tuple[ApiKey, ApiKey]
) -> None:
    acme, _ = keys
    sign_in(page, guarded, acme.key)
    expect(page.get_by_role("heading", name="Debates", exact=True)).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "mcp_debate_session")
    jar = {"mcp_debate_session": cookie["value"]}
    body = {"state": None}
    url = f"{guarded.url}/tools/list_debates"
    own = httpx.post(
        url,
        json=body,
        cookies=jar,
        headers={"Origin": guarded.url},
        timeout=10,
    )
    assert own.status_code == 200
    # a write carrying the cookie from another origin, or with no origin at all, is not signed in
    forged = httpx.post(
        url,
        json=body,
        cookies=jar,
        headers={"Origin": "http://evil.example"},
        timeout=10,
    )
    assert forged.status_code == 401
    assert (
        httpx.post(f"{guarded.url}/tools/list_debates", json=body, cookies=jar, timeout=10).status_code == 401
    )
    # /mcp takes bearer keys only
    listed = httpx.post(
        f"{guarded.url}/mcp",
        cookies=jar,
        headers={"Origin": guarded.url, "Accept": "application/json, text/event-stream"},
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        timeout=10,
    )
    assert listed.status_code == 401
    # a tampered cookie is no session
    tampered = {"mcp_debate_session": cookie["value"][:-2] + "xx"}
    assert httpx.get(f"{guarded.url}/debates", cookies=tampered, timeout=10).status_code == 401
    assert httpx.get(f"{guarded.url}/debates", cookies=jar, timeout=10).status_code == 200

"""mcp-llm's status page in a real headless Chromium: providers and their health, today's usage, and with
keys on, only the caller's own usage once it gives its key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import ServiceProcess, llm_process
from tests.llm.governance.conftest import ApiKey, make_key, unique

HELLO = {"provider": "mock", "model": "mock-1", "messages": [{"role": "user", "content": "Hello"}]}


def test_providers_health_and_usage_without_keys(page: Any, llm_mock: ServiceProcess) -> None:
    marker = {**HELLO, "model": f"mock-status-{unique('m')}"}
    assert httpx.post(f"{llm_mock.url}/tools/complete", json=marker, timeout=10).status_code == 200
    page.goto(llm_mock.url + "/")
    providers = page.locator("#providers")
    mock = providers.locator("tr", has=page.locator("th", has_text="mock"))
    expect(mock.locator("td").nth(0)).to_have_text("yes")
    expect(mock.locator("td").nth(1)).to_have_text("ok")
    expect(mock).to_contain_text(f"{marker['model']}: closed")
    openai = providers.locator("tr", has=page.locator("th", has_text="openai")).first
    expect(openai.locator("td").nth(0)).to_have_text("no")
    expect(page.locator("#usage-rows")).to_contain_text(marker["model"])
    for name in ("Metrics", "Readiness", "Tools and their arguments"):
        expect(page.get_by_role("link", name=name)).to_be_visible()
    assert page.goto(llm_mock.url + "/metrics").status == 200


@pytest.fixture(scope="module")
def keyed_llm() -> Iterator[tuple[ServiceProcess, ApiKey, ApiKey]]:
    acme, globex = make_key(unique("acme")), make_key(unique("globex"))
    proc = llm_process(AUTH_ENABLED="true", API_KEYS=f"{acme.entry},{globex.entry}").start()
    yield proc, acme, globex
    proc.stop()


def test_with_keys_only_the_callers_usage_is_shown(page: Any, keyed_llm: Any) -> None:
    server, acme, globex = keyed_llm
    for key, model in ((acme, "mock-acme"), (globex, "mock-globex")):
        body = {**HELLO, "model": model}
        response = httpx.post(f"{server.url}/tools/complete", json=body, headers=key.headers, timeout=10)
        assert response.status_code == 200
    page.goto(server.url + "/")
    expect(page.locator("#usage")).to_be_hidden()
    expect(page.locator("#providers")).to_be_visible()  # /metrics is open, and so is health
    page.get_by_label("API key").fill("mcpk_wrong")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("alert")).to_contain_text("API key")
    page.get_by_label("API key").fill(acme.key)
    page.get_by_role("button", name="Show").click()
    rows = page.locator("#usage-rows")
    expect(rows).to_contain_text("mock-acme")
    expect(rows).not_to_contain_text("mock-globex")
    expect(rows).to_contain_text(acme.organization)
    assert acme.key not in page.url and not page.context.cookies()
    assert acme.key not in server.log_text()

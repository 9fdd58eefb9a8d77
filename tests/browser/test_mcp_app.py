"""The live view as an MCP App, rendered in Chromium by a minimal host: the test's page plays the host,
puts the app's HTML (read over MCP) in a sandboxed frame, and answers its postMessage JSON-RPC by
forwarding ``tools/call`` and ``resources/read`` to mcp-debate over a real MCP session."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client
from mcp.client import advertise
from playwright.sync_api import expect

from tests.conftest import ServiceProcess
from tests.debate.conftest import create

APPS = advertise("io.modelcontextprotocol/ui", {"mimeTypes": ["text/html;profile=mcp-app"]})
APP_URI = "ui://mcp-debate/live-view.html"

HOST = """<!doctype html><html><body>
<iframe id="app" sandbox="allow-scripts" style="width:100%;height:1400px;border:0"></iframe>
<script>
const frame = document.getElementById("app");
window.hostLog = [];
window.addEventListener("message", async (event) => {
  const msg = event.data;
  if (!msg || msg.jsonrpc !== "2.0" || event.source !== frame.contentWindow) return;
  window.hostLog.push(msg.method || "response");
  const reply = (body) =>
    frame.contentWindow.postMessage(Object.assign({jsonrpc: "2.0", id: msg.id}, body), "*");
  if (msg.method === "ui/initialize") {
    reply({result: {protocolVersion: "2026-01-26", hostInfo: {name: "test host", version: "1"},
      hostCapabilities: {serverTools: {}, serverResources: {}}, hostContext: {theme: "light"}}});
  } else if (msg.method === "ui/notifications/initialized") {
    window.appReady = true;
  } else if (msg.method === "tools/call" || msg.method === "resources/read") {
    const answer = JSON.parse(await window.forwardToServer(msg.method, JSON.stringify(msg.params)));
    reply(answer.error ? {error: answer.error} : {result: answer.result});
  }
});
window.sendToApp = (method, params) => frame.contentWindow.postMessage({jsonrpc: "2.0", method, params}, "*");
</script></body></html>"""


class McpHost:
    """An MCP session to mcp-debate negotiating MCP Apps, on an event loop of its own thread (the
    browser's callbacks arrive on Playwright's thread)."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = Client(url, extensions=[APPS])
        self._stop = asyncio.Event()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        ready = threading.Event()
        self._session = asyncio.run_coroutine_threadsafe(self._hold(ready), self.loop)
        assert ready.wait(30), "the MCP session did not open"

    async def _hold(self, ready: threading.Event) -> None:
        """The session lives in one task from open to close, as anyio wants."""
        async with self.client:
            ready.set()
            await self._stop.wait()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def forward(self, method: str, params_json: str) -> str:
        params = json.loads(params_json)
        try:
            if method == "tools/call":
                result = self.run(self.client.call_tool(params["name"], params.get("arguments") or {}))
            else:
                result = self.run(self.client.read_resource(params["uri"]))
        except Exception as exc:  # a refused request goes back to the app as a JSON-RPC error
            return json.dumps({"error": {"code": -32000, "message": str(exc)}})
        return json.dumps({"result": result.model_dump(mode="json", by_alias=True, exclude_none=True)})

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._session.result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def host(debate_server: ServiceProcess) -> Iterator[McpHost]:
    mcp_host = McpHost(debate_server.mcp_url)
    yield mcp_host
    mcp_host.close()


def test_the_app_renders_a_debate_it_is_handed_and_follows_it_through_the_host(
    page: Any, host: McpHost, debate_server: ServiceProcess
) -> None:
    debate = create(debate_server, names=("Pro", "Con"), model="mock-slow-300", max_rounds=2)
    tools = {t.name: t for t in host.run(host.client.list_tools()).tools}
    assert tools["run_debate"].meta["ui"]["resourceUri"] == APP_URI
    html = host.run(host.client.read_resource(APP_URI)).contents[0].text

    page.expose_function("forwardToServer", host.forward)
    page.set_content(HOST)
    page.evaluate("html => { document.getElementById('app').srcdoc = html; }", html)
    page.wait_for_function("window.appReady === true")

    # what a host does after the model called run_debate with wait false: hand the app the tool result
    started = host.run(host.client.call_tool("run_debate", {"debate_id": debate["id"], "wait": False}))
    result = started.model_dump(mode="json", by_alias=True, exclude_none=True)
    page.evaluate("r => window.sendToApp('ui/notifications/tool-result', r)", result)

    app = page.frame_locator("#app")
    expect(app.locator(".debate-name")).to_have_text("City cars")
    expect(app.locator('[data-field="state"]')).to_have_text("completed", timeout=30_000)
    expect(app.locator('[data-field="transcript"] > li')).to_have_count(4)
    expect(app.locator('[data-field="transcript"] .speaker')).to_have_text(["Pro", "Con", "Pro", "Con"])
    # steering from inside the app goes through the host too: a finished debate refuses a message
    expect(app.get_by_label("Moderator message")).to_be_disabled()
    log = page.evaluate("window.hostLog")
    assert "ui/initialize" in log and "tools/call" in log and "resources/read" in log

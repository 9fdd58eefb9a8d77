"""The live view as an MCP App: a ``ui://`` resource, and the tools that point at it.

The app is one self-contained HTML document (the page's stylesheet and live-view script inlined, no
network access of its own: the host's default CSP allows none). It speaks to its host over
``postMessage`` JSON-RPC: ``ui/initialize``, then it takes the debate from the tool result the host
passes it, reads the transcript with ``resources/read``, follows it with the app-only ``watch_debate``
tool and steers with the ordinary tools, all through the host's bridge.

``run_debate``, ``get_debate`` and ``deliberate`` carry ``_meta.ui.resourceUri``; hosts that did not
negotiate MCP Apps see the plain tools and their usual text results.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from importlib.resources import files
from typing import Any

from mcp_debate.access import owned_tool
from mcp_debate.orchestrator import Orchestrator
from mcp_debate.watching.follow_tool import WatchArgs, WatchResult, make_watch
from mcp_debate.web.pages import templates
from mcp_shared.server.apps import APP_MIME_TYPE, ui_meta
from mcp_shared.server.resources import ResourceSpec
from mcp_shared.server.tools import CallContext, ToolSpec

APP_URI = "ui://mcp-debate/live-view.html"
RENDERED_BY_APP = frozenset({"run_debate", "get_debate", "deliberate"})


@cache
def app_html() -> str:
    """The app document, assets inlined (a ``</script>`` inside them is impossible: checked here)."""
    static = files("mcp_debate.web") / "static"
    assets = {
        name: (static / name).read_text(encoding="utf-8") for name in ("style.css", "live.js", "app.js")
    }
    for name, text in assets.items():
        if "</script" in text.lower() or "</style" in text.lower():
            raise ValueError(f"{name} cannot be inlined: it closes its own element")
    return templates.get_template("app.html").render(
        css=assets["style.css"], live_js=assets["live.js"], app_js=assets["app.js"]
    )


def app_resource() -> ResourceSpec:
    async def read(params: dict[str, str], call: CallContext) -> Any:
        return app_html()

    return ResourceSpec(
        APP_URI,
        "live-view",
        "The live view of a debate, as an MCP App: transcript as it grows, verdict, ledger, controls.",
        read,
        mime_type=APP_MIME_TYPE,
        meta={"ui": {"prefersBorder": True}},
    )


def with_app(specs: list[ToolSpec[Any]], orc: Orchestrator) -> list[ToolSpec[Any]]:
    """The tools, those the app renders pointing at it, plus the app-only ``watch_debate``."""
    pointed = [replace(s, meta=ui_meta(APP_URI)) if s.name in RENDERED_BY_APP else s for s in specs]
    watch = ToolSpec(
        "watch_debate",
        "For the live-view app: wait (at most wait_seconds) until the debate changes, and return it with "
        "its messages after after_seq.",
        WatchArgs,
        make_watch(orc),
        WatchResult,
        read_only=True,
        meta=ui_meta(APP_URI, app_only=True),
    )
    return [*pointed, owned_tool(watch, orc)]  # its debate is checked like every other tool's

"""MCP Apps (the ``io.modelcontextprotocol/ui`` extension) for services built on the low-level Server.

A tool names the ``ui://`` resource that renders it in ``_meta.ui.resourceUri``; a host that negotiated
the extension renders that resource in a sandboxed frame, and the app calls tools back through the host.
Hosts that did not negotiate it get the tools as plain tools: no ``ui`` entry, and none of the tools
meant for apps alone (``_meta.ui.visibility`` without ``model``), which they could not use.
"""

from __future__ import annotations

from typing import Any

from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID, client_supports_apps

__all__ = ["APP_MIME_TYPE", "EXTENSION_ID", "client_supports_apps", "tool_meta_for"]


def tool_meta_for(meta: dict[str, Any] | None, supports_apps: bool) -> tuple[bool, dict[str, Any] | None]:
    """Whether a tool is listed for this client, and the ``_meta`` it is listed with."""
    if not meta or "ui" not in meta:
        return True, meta
    if supports_apps:
        return True, meta
    visibility = meta["ui"].get("visibility") or ["model", "app"]
    rest = {k: v for k, v in meta.items() if k != "ui"}
    return "model" in visibility, rest or None


def ui_meta(resource_uri: str, *, app_only: bool = False) -> dict[str, Any]:
    """The ``_meta`` of a tool rendered by the app at ``resource_uri`` (``app_only``: hidden from models)."""
    ui: dict[str, Any] = {"resourceUri": resource_uri}
    if app_only:
        ui["visibility"] = ["app"]
    return {"ui": ui}

"""Exports of a debate: markdown, json, html and text, from one gathered document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from mcp_debate.exports import html, markdown, text
from mcp_debate.exports.document import ExportDocument

ExportFormat = Literal["markdown", "json", "html", "text"]
FORMAT_ALIASES = {"md": "markdown", "txt": "text", "htm": "html"}


def _json(doc: ExportDocument) -> str:
    return doc.model_dump_json(indent=2) + "\n"


_RENDERERS: dict[str, tuple[Callable[[ExportDocument], str], str, str]] = {
    "markdown": (markdown.render, "text/markdown; charset=utf-8", "md"),
    "json": (_json, "application/json", "json"),
    "html": (html.render, "text/html; charset=utf-8", "html"),
    "text": (text.render, "text/plain; charset=utf-8", "txt"),
}


def render(doc: ExportDocument, fmt: ExportFormat) -> tuple[str, str, str]:
    """(content, media type, file extension)."""
    renderer, media_type, extension = _RENDERERS[fmt]
    return renderer(doc), media_type, extension


__all__ = ["FORMAT_ALIASES", "ExportDocument", "ExportFormat", "render"]

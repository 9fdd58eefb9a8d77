"""The context window a self-hosted OpenAI-compatible server says it serves a model with.

Servers say it in different places: llama.cpp in ``/v1/models`` (``meta.n_ctx``, the window of one
slot) and in ``/props`` (``default_generation_settings.n_ctx``); vLLM as ``max_model_len``; LM Studio
as ``max_context_length``; routers as ``context_length``. The *training* window (llama.cpp's
``n_ctx_train``) is not what the server was started with, so it is never taken.
"""

from __future__ import annotations

from typing import Any

_TOP_LEVEL = ("max_model_len", "context_length", "max_context_length", "context_window")
MAX_WINDOW = 100_000_000
"""Anything larger is not a window but noise."""


def _window(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_WINDOW:
        return value
    return None


def from_model_entry(entry: dict[str, Any]) -> int | None:
    """The window one ``/v1/models`` entry states, if any."""
    meta = entry.get("meta")
    if isinstance(meta, dict) and (found := _window(meta.get("n_ctx"))):
        return found
    for key in _TOP_LEVEL:
        if found := _window(entry.get(key)):
            return found
    return None


def from_props(props: Any) -> int | None:
    """llama.cpp's ``/props``: the per-slot window of the default generation settings."""
    if not isinstance(props, dict):
        return None
    settings = props.get("default_generation_settings")
    if isinstance(settings, dict) and (found := _window(settings.get("n_ctx"))):
        return found
    return _window(props.get("n_ctx"))


def server_root(base_url: str) -> str:
    """``http://host:8080/v1`` -> ``http://host:8080`` (where llama.cpp serves ``/props``)."""
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root

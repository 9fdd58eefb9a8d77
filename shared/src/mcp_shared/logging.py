"""Structured logs with a request id on every line and no credential in any of them.

Logs go to stderr: on the stdio transport, stdout carries the MCP protocol itself.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
import uuid
from typing import Any, TextIO

from mcp_shared.redaction import redact

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "color_message"}


def new_request_id() -> str:
    """A short random id that correlates every log line of one call."""
    return "req_" + uuid.uuid4().hex[:20]


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str))


class TextFormatter(logging.Formatter):
    """Lines for a person at a terminal: time, level, logger, message, then the extras as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(
            f"{key}={_text_value(value)}"
            for key, value in vars(record).items()
            if key not in _STANDARD_ATTRS and value is not None
        )
        if extras:
            head, newline, rest = line.partition("\n")  # a traceback stays below its line
            line = f"{head}  {extras}{newline}{rest}"
        return redact(line)


def _text_value(value: object) -> str:
    """A value as it reads in ``key=value``: quoted when it holds spaces, so the next key stands out."""
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if not text or any(c.isspace() for c in text) else text


def use_text_format(fmt: str, stream: TextIO) -> bool:
    """``text``, ``json``, or ``auto``: text for a person at a terminal, JSON for log collectors."""
    if fmt == "auto":
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())
    return fmt == "text"


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """Install the structured handler on the root logger (replacing any earlier setup)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(TextFormatter() if use_text_format(fmt, sys.stderr) else JsonFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries that log every request at INFO would drown the service's own lines.
    for noisy in ("httpx", "httpx2", "httpcore", "httpcore2", "mcp", "uvicorn.access", "openai", "anthropic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))

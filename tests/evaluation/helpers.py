"""Running ``mcp-debate evaluate`` as a user does: a separate process, both services in it (``--local``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

PANEL_SIZE = 5


def mock(model: str) -> dict[str, str]:
    return {"provider": "mock", "model": model}


def write_config(folder: Path, config: dict[str, Any], name: str = "eval.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def evaluate(
    config: Path, *flags: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    for variable in ("LLM_RECORD_DIR", "LLM_REPLAY_DIR", "REDIS_URL", "CACHE_REDIS_URL"):
        environment.pop(variable, None)
    return subprocess.run(
        [sys.executable, "-m", "mcp_debate", "evaluate", str(config), "--local", *flags],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        check=False,
    )


def report(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "report.json").read_text(encoding="utf-8"))


def without_times(report: dict[str, Any]) -> dict[str, Any]:
    """A report less what no two runs share: the seconds items took."""
    methods = [{k: v for k, v in m.items() if k != "seconds"} for m in report["methods"]]
    return {**report, "methods": methods}


def method(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in report["methods"] if m["name"] == name)

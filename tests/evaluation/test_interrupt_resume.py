"""Ctrl-C stops an evaluation with the report of what finished; the same command again resumes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.evaluation.helpers import evaluate, method, mock, report, write_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

ITEMS = 30


def lines(folder: Path) -> list[dict[str, object]]:
    path = folder / "results.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_ctrl_c_writes_a_partial_report_and_a_second_run_finishes_the_rest(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        {
            "dataset": {"kind": "arithmetic", "items": ITEMS, "seed": 3},
            "concurrency": 1,
            "methods": [{"name": "slow", "kind": "single", "model": mock("mock-slow-200")}],
        },
    )
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k not in ("LLM_RECORD_DIR", "LLM_REPLAY_DIR")}
    process = subprocess.Popen(
        [sys.executable, "-m", "mcp_debate", "evaluate", str(config), "--local", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    while len(lines(out)) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    first = report(out)
    assert first["partial"] is True
    done = method(first, "slow")["items"]
    assert 3 <= done < ITEMS

    again = evaluate(config, "--out", str(out))
    assert again.returncode == 0, again.stderr
    finished = report(out)
    assert finished["partial"] is False
    assert method(finished, "slow")["items"] == ITEMS
    items = [record["item"] for record in lines(out)]
    assert len(items) == len(set(items)) == ITEMS  # nothing asked twice


def test_a_different_config_cannot_resume_into_the_same_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = {"dataset": {"items": 2}, "methods": [{"name": "s", "kind": "single", "model": mock("mock-1")}]}
    assert evaluate(write_config(tmp_path, first), "--out", str(out)).returncode == 0
    first["dataset"]["items"] = 3
    refused = evaluate(write_config(tmp_path, first, "other.yaml"), "--out", str(out))
    assert refused.returncode == 2
    assert "different config" in refused.stderr

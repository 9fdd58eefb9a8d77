"""The scripts in examples/ run as a user would run them, against started services."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, ServiceProcess, clean_env


def run_example(args: list[str], **env: str) -> str:
    result = subprocess.run(args, cwd=ROOT, env=clean_env(**env), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_python_mcp_client_example(llm_server: ServiceProcess) -> None:
    out = run_example([sys.executable, "examples/llm_complete.py"], MCP_LLM_URL=llm_server.mcp_url)
    assert "tools: complete" in out
    assert "complete -> '" in out and "finish_reason=stop" in out


def test_openai_sdk_example(llm_server: ServiceProcess) -> None:
    out = run_example([sys.executable, "examples/openai_sdk.py"], MCP_LLM_HTTP=llm_server.url)
    lines = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    assert "/" in lines["models"]
    assert lines["reply"].strip()
    assert len(lines["stream"].split()) > 3


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_example(llm_server: ServiceProcess) -> None:
    out = run_example(["bash", "examples/curl.sh"], MCP_LLM_HTTP=llm_server.url)
    sections = out.split("== ")
    generated = json.loads(next(s for s in sections if s.startswith("generate")).split("\n", 1)[1])
    assert generated["provider"] == "mock"
    assert "event: done" in out
    assert '"type":"invalid_request"' in out

"""The scripts in examples/ run as their own headers say to run them, against started services."""

from __future__ import annotations

import ast
import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, ServiceProcess, clean_env, debate_process


@pytest.fixture(scope="module")
def debate_service(
    llm_server: ServiceProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    """mcp-debate on a fresh database, talking to the shared mcp-llm."""
    proc = debate_process(llm_server.url, Path(tmp_path_factory.mktemp("examples")) / "debates.db").start()
    yield proc
    proc.stop()


def outside_the_virtualenv(env: dict[str, str]) -> dict[str, str]:
    """The environment of a fresh shell in a checkout: the project's virtualenv is not activated."""
    venv_bin = str(Path(sys.prefix) / "bin")
    path = [entry for entry in env.get("PATH", "").split(os.pathsep) if entry and entry != venv_bin]
    clean = {key: value for key, value in env.items() if key != "VIRTUAL_ENV"}
    return {**clean, "PATH": os.pathsep.join(path)}


def run_example(args: list[str], **env: str) -> str:
    result = subprocess.run(
        args,
        cwd=ROOT,
        env=outside_the_virtualenv(clean_env(**env)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def documented_command(script: str) -> list[str]:
    """The command the script's docstring gives for running it from a checkout, as a user would type it."""
    docstring = ast.get_docstring(ast.parse((ROOT / "examples" / script).read_text())) or ""
    lines = [line.split("#", 1)[0].strip() for line in docstring.splitlines()]
    commands = [line for line in lines if line.endswith(f"examples/{script}") and "=" not in line]
    assert commands, f"examples/{script} does not say how to run it"
    command = shlex.split(commands[0])
    if command[0] == "uv" and shutil.which("uv") is None:
        pytest.skip("uv is not on PATH (the Makefile installs it)")
    return command


def test_python_mcp_client_example(llm_server: ServiceProcess) -> None:
    out = run_example(documented_command("llm_complete.py"), MCP_LLM_URL=llm_server.mcp_url)
    assert "tools: complete" in out
    assert "complete -> '" in out and "finish_reason=stop" in out


def test_openai_sdk_example(llm_server: ServiceProcess) -> None:
    out = run_example(documented_command("openai_sdk.py"), MCP_LLM_HTTP=llm_server.url)
    lines = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    assert "/" in lines["models"]
    assert lines["reply"].strip()
    assert len(lines["stream"].split()) > 3


def test_debate_over_mcp_example(debate_service: ServiceProcess) -> None:
    out = run_example(documented_command("debate_mcp.py"), MCP_DEBATE_URL=debate_service.mcp_url)
    debate_id = out.split("created ", 1)[1].split(":", 1)[0]
    assert "Pro opens" in out
    assert out.split("turn 1 (Pro) -> ", 1)[1].split("\n", 1)[0].strip()  # the streamed first turn
    assert [line.split(" · ")[0] for line in out.splitlines() if line.startswith("turn -> ")] == [
        "turn -> Round 1, turn 2",
        "turn -> Round 2, turn 3",
        "turn -> Round 2, turn 4",
    ]
    assert "run stopped: completed, state completed, 4 turns" in out
    assert f"export {debate_id}.md" in out and "# Four-day week" in out
    assert f"debates://{debate_id}/messages holds 4 messages" in out


def sections(out: str) -> dict[str, str]:
    """``== title`` headed sections of the curl example's output, by title."""
    return {part.split("\n", 1)[0]: part.split("\n", 1)[1] for part in out.split("== ")[1:]}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_example(llm_server: ServiceProcess) -> None:
    out = run_example(["examples/curl.sh"], MCP_LLM_HTTP=llm_server.url)
    generated = json.loads(sections(out)["generate (no Content-Type needed)"])
    assert generated["provider"] == "mock"
    assert "event: done" in out
    assert '"type":"invalid_request"' in out
    assert "create_debate" not in out  # debates only when MCP_DEBATE_HTTP says where


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_example_with_a_debate(llm_server: ServiceProcess, debate_service: ServiceProcess) -> None:
    out = run_example(["examples/curl.sh"], MCP_LLM_HTTP=llm_server.url, MCP_DEBATE_HTTP=debate_service.url)
    parts = sections(out)
    created = json.loads(parts["create_debate"])
    streamed = parts["get_next_turn (streamed: chunk events, then done)"]
    assert streamed.count("event: chunk") >= 3 and "event: done" in streamed
    run = parts["run_debate (to the end: one turn event per turn, then done)"]
    assert run.count("event: turn") == 3 and "event: done" in run
    view = json.loads(parts["get_debate"])
    assert (
        view["id"] == created["id"] and view["state"] == "completed" and view["ledger"]["total"]["turns"] == 4
    )
    export = parts["export (markdown)"]
    assert export.startswith("# City cars") and export.count("(turn ") == 4

"""Both command lines as a user meets them: ``--version``, each subcommand's own help, and a bad setting
reported as one line naming it (exit 2), never a traceback or the value itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mcp_debate import __version__ as debate_version
from mcp_llm import __version__ as llm_version
from tests.conftest import clean_env, wait_until
from tests.fakes.server import free_port

LLM = [sys.executable, "-m", "mcp_llm"]
DEBATE = [sys.executable, "-m", "mcp_debate"]
PLAIN_KEY = "mcpk_" + "pasted-in-plain-instead-of-its-hash"


def run(command: list[str], cwd: Path, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    """The command in an empty folder (no .env), with only ``env`` set among the services' settings."""
    return subprocess.run(
        command,
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


BAD_SETTINGS = [
    pytest.param(
        LLM, {"QUOTAS": "{bad"}, "mcp-llm: invalid setting QUOTAS: not valid JSON", id="llm-quotas-json"
    ),
    pytest.param(
        LLM,
        {"QUOTAS": '{"acme": {"requests_per_minute": -1}}'},
        "mcp-llm: invalid setting QUOTAS (acme.requests_per_minute): ",
        id="llm-quotas-field",
    ),
    pytest.param(LLM, {"MCP_PORT": "abc"}, "mcp-llm: invalid setting MCP_PORT: ", id="llm-port-env"),
    pytest.param([*LLM, "--port", "0"], {}, "mcp-llm: invalid --port: ", id="llm-port-flag"),
    pytest.param(LLM, {"LOG_LEVEL": "loud"}, "mcp-llm: invalid setting LOG_LEVEL: ", id="llm-log-level"),
    pytest.param(
        LLM, {"API_KEYS": f"acme:{PLAIN_KEY}"}, "mcp-llm: invalid setting API_KEYS: ", id="llm-api-keys"
    ),
    pytest.param(
        [*LLM, "stdio"], {"AUTH_ENABLED": "true"}, "mcp-llm: invalid setting API_KEYS: empty", id="llm-auth"
    ),
    pytest.param(DEBATE, {"MCP_PORT": "abc"}, "mcp-debate: invalid setting MCP_PORT: ", id="debate-port-env"),
    pytest.param(
        [*DEBATE, "serve", "--port", "0"], {}, "mcp-debate: invalid --port: ", id="debate-port-flag"
    ),
    pytest.param(
        [*DEBATE, "stdio"],
        {"LOG_LEVEL": "loud"},
        "mcp-debate: invalid setting LOG_LEVEL: ",
        id="debate-log-level",
    ),
    pytest.param(
        [*DEBATE, "serve"],
        {"DATABASE_READERS": "0"},
        "mcp-debate: invalid setting DATABASE_READERS: ",
        id="debate-readers",
    ),
    pytest.param(
        [*DEBATE, "stdio", "--embedded-llm"],
        {"QUOTAS": "{bad"},
        "mcp-debate: mcp-llm: invalid setting QUOTAS: not valid JSON",
        id="debate-embedded-llm",
    ),
]


@pytest.mark.parametrize(("command", "env", "expected"), BAD_SETTINGS)
def test_a_bad_setting_is_one_line_naming_it(
    command: list[str], env: dict[str, str], expected: str, tmp_path: Path
) -> None:
    done = run(command, tmp_path, **env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(expected), done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert PLAIN_KEY not in done.stderr and done.stdout == ""


def test_run_local_names_a_bad_setting_of_the_embedded_services(tmp_path: Path) -> None:
    done = run([*DEBATE, "run", "--local", "--plain", "--no-export"], tmp_path, QUOTAS="{bad")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: mcp-llm: invalid setting QUOTAS: not valid JSON "
        "(Expecting property name enclosed in double quotes at column 2)"
    ]


@pytest.mark.parametrize(
    ("command", "expected"),
    [(LLM, f"mcp-llm {llm_version}"), (DEBATE, f"mcp-debate {debate_version}")],
    ids=["mcp-llm", "mcp-debate"],
)
def test_version(command: list[str], expected: str, tmp_path: Path) -> None:
    for flag in ("--version", "-V"):
        done = run([*command, flag], tmp_path)
        assert (done.returncode, done.stdout.strip()) == (0, expected)


@pytest.mark.parametrize(
    ("command", "usage", "mentions"),
    [
        ([*LLM, "http"], "usage: mcp-llm http", "--port"),
        ([*LLM, "serve"], "usage: mcp-llm http", "--port"),  # an alias of http
        ([*LLM, "stdio"], "usage: mcp-llm stdio", "stdin/stdout"),
        ([*LLM, "keygen"], "usage: mcp-llm keygen", "--organization"),
        ([*DEBATE, "serve"], "usage: mcp-debate serve", "--database"),
        ([*DEBATE, "stdio"], "usage: mcp-debate stdio", "--embedded-llm"),
        ([*DEBATE, "run"], "usage: mcp-debate run", "--topic"),
    ],
    ids=["llm-http", "llm-serve", "llm-stdio", "llm-keygen", "debate-serve", "debate-stdio", "debate-run"],
)
def test_each_subcommand_has_its_own_help(
    command: list[str], usage: str, mentions: str, tmp_path: Path
) -> None:
    done = run([*command, "--help"], tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith(usage) and mentions in done.stdout
    assert "COMMAND" not in done.stdout  # not the top-level help


def test_top_level_help_lists_the_subcommands(tmp_path: Path) -> None:
    llm = run([*LLM, "--help"], tmp_path).stdout
    assert all(word in llm for word in ("http", "stdio", "keygen", "--version"))
    debate = run([*DEBATE, "--help"], tmp_path).stdout
    assert all(word in debate for word in ("serve", "stdio", "run", "--version"))


def test_keygen_refuses_an_organization_it_cannot_encode(tmp_path: Path) -> None:
    done = run([*LLM, "keygen", "--organization", "a:b"], tmp_path)
    assert done.returncode == 2 and "--organization NAME" in done.stderr and done.stdout == ""


@pytest.mark.parametrize("command", ["http", "serve"])
def test_the_http_command_by_name_serves(command: str, tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [*LLM, command, "--port", str(port)],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def healthy() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, timeout=30, what=f"mcp-llm {command}")
    finally:
        process.terminate()
        process.wait(timeout=15)

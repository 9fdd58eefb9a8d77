"""The README's quick start, run as written from a fresh shell in the checkout (no virtualenv activated):
the curl calls and the `uv run mcp-debate run` of "from another terminal", and the whole debate with curl.
Only the ports change, to those of the services the fixtures started (as `make run` would)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT, ServiceProcess, clean_env
from tests.examples.test_examples import outside_the_virtualenv

README = (ROOT / "README.md").read_text()

pytestmark = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("uv") is None, reason="needs curl and uv"
)


def block_after(words: str) -> str:
    """The first ```bash block after ``words`` in the README."""
    found = re.search(re.escape(words) + r".*?```bash\n(.*?)```", README, flags=re.DOTALL)
    assert found, f"no bash block after {words!r} in the README"
    return found.group(1)


def run_block(block: str, llm: ServiceProcess, debate: ServiceProcess) -> str:
    script = block.replace("localhost:5001", f"127.0.0.1:{llm.port}").replace(
        "localhost:5002", f"127.0.0.1:{debate.port}"
    )
    env = outside_the_virtualenv(clean_env(MCP_DEBATE_URL=debate.mcp_url))
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def json_documents(out: str, count: int) -> tuple[list[object], str]:
    """The first ``count`` JSON documents curl printed back to back (no newline between), and the rest."""
    decoder, documents, position = json.JSONDecoder(), [], 0
    for _ in range(count):
        document, position = decoder.raw_decode(out, position)
        documents.append(document)
    return documents, out[position:]


def test_from_another_terminal(llm_mock: ServiceProcess, debate_server: ServiceProcess) -> None:
    out = run_block(block_after("Then, from another terminal:"), llm_mock, debate_server)
    exported = re.search(r"Exported to (data/deb_\w+\.md)", out)
    assert exported, out
    export = ROOT / exported.group(1)
    try:
        (generated, models), _ = json_documents(out, 2)
        assert isinstance(generated, dict) and isinstance(models, dict)
        assert generated["provider"] == "mock" and generated["content"]
        assert any(p["provider"] == "mock" for p in models["providers"])
        assert "Should cities ban private cars" in export.read_text()
    finally:
        export.unlink()


def test_a_whole_debate_with_curl(llm_mock: ServiceProcess, debate_server: ServiceProcess) -> None:
    out = run_block(
        block_after("and a whole debate between three participants with curl"), llm_mock, debate_server
    )
    (ran,), export = json_documents(out, 1)
    assert isinstance(ran, dict) and ran["state"] == "completed"
    assert export.startswith("# City cars") and export.count("(turn ") == 6

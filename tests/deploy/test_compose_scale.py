"""docker-compose.scale.yml, checked like docker-compose.yml: `docker-compose config` (no engine needed)
resolves it, every setting reaches every replica, the replicas sit behind the proxy, health gates order
the start-up, and the proxy's configuration names exactly the replicas the file starts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.deploy.test_compose import ALL_NAMES, COMPOSE_VARIABLES, SERVICES, compose_config, setting_names

FILE = "docker-compose.scale.yml"
PASSWORD = "team-db-secret-42"
REPLICAS = {"mcp-llm": ["mcp-llm-1", "mcp-llm-2"], "mcp-debate": ["mcp-debate-1", "mcp-debate-2"]}
OWN: dict[str, dict[str, str]] = {
    "mcp-llm": {
        "MCP_HOST": "0.0.0.0",
        "MCP_PORT": "5001",
        "REDIS_URL": "redis://redis:6379/0",
        "CACHE_REDIS_URL": "redis://redis-cache:6379/0",
        "MCP_ALLOWED_HOSTS": "localhost:*,127.0.0.1:*,proxy:*",
    },
    "mcp-debate": {
        "MCP_HOST": "0.0.0.0",
        "MCP_PORT": "5002",
        "LLM_SERVICE_URL": "http://proxy:5001",
        "DATABASE_URL": f"postgresql://mcp_debate:{PASSWORD}@postgres:5432/mcp_debate",
        "DATABASE_PATH": "/tmp/unused.db",
        "EVALUATION_DIR": "/tmp/evaluations",
        "MCP_ALLOWED_HOSTS": "localhost:*,127.0.0.1:*,proxy:*",
    },
}


def scale_config(tmp_path: Path, settings: dict[str, str] | None = None) -> dict[str, Any]:
    return compose_config(tmp_path, {"POSTGRES_PASSWORD": PASSWORD, **(settings or {})}, file=FILE)


@pytest.mark.parametrize("service", SERVICES)
def test_every_setting_reaches_every_replica_and_their_own_are_fixed(service: str, tmp_path: Path) -> None:
    sample = {name: f"sample-{name.lower()}" for name in ALL_NAMES - COMPOSE_VARIABLES}
    config = scale_config(tmp_path, sample)
    for replica in REPLICAS[service]:
        environment = config["services"][replica]["environment"]
        own = OWN[service]
        names = setting_names(SERVICES[service])
        missing = sorted(name for name in names - own.keys() if environment.get(name) != sample[name])
        assert missing == [], f"{FILE} does not forward these settings to {replica}: {missing}"
        assert {name: environment.get(name) for name in own} == own


def test_only_the_proxy_is_published_and_it_waits_for_healthy_replicas(tmp_path: Path) -> None:
    services = scale_config(tmp_path)["services"]
    published = {name for name, spec in services.items() if spec.get("ports")}
    assert published == {"proxy"}
    assert sorted(services["proxy"]["ports"]) == ["127.0.0.1:5001:5001/tcp", "127.0.0.1:5002:5002/tcp"]
    assert services["proxy"]["image"].startswith("caddy:")
    replicas = REPLICAS["mcp-llm"] + REPLICAS["mcp-debate"]
    assert services["proxy"]["depends_on"] == {r: {"condition": "service_healthy"} for r in replicas}
    for replica in REPLICAS["mcp-debate"]:
        assert services[replica]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name in ("postgres", "redis", "redis-cache", "proxy"):
        assert services[name]["healthcheck"]["test"], name


def test_state_that_must_survive_is_on_volumes(tmp_path: Path) -> None:
    config = scale_config(tmp_path)
    services = config["services"]
    assert any("/var/lib/postgresql/data" in str(v) for v in services["postgres"]["volumes"])
    redis = services["redis"]
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]
    assert any("/data" in str(v) for v in redis["volumes"])
    assert {"postgres-data", "redis-data"} <= set(config["volumes"])


def test_without_a_database_password_the_file_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD"):
        compose_config(tmp_path, {}, file=FILE)


def test_the_proxy_spreads_each_port_over_the_replicas_the_file_starts() -> None:
    caddyfile = (ROOT / "deploy" / "caddy" / "Caddyfile").read_text()
    sites = dict(re.findall(r"^:(\d+) \{\n\treverse_proxy ([^{]+)\{", caddyfile, re.MULTILINE))
    assert {port: upstreams.split() for port, upstreams in sites.items()} == {
        "5001": [f"{r}:5001" for r in REPLICAS["mcp-llm"]],
        "5002": [f"{r}:5002" for r in REPLICAS["mcp-debate"]],
    }
    assert caddyfile.count("health_uri /healthz") == 2
    assert caddyfile.count("flush_interval -1") == 2  # streams are not buffered

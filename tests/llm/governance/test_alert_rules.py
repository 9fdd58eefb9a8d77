"""The shipped Prometheus alert rules: valid, unit-tested with promtool, and built on metrics we export."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import httpx
import pytest
import yaml

from tests.conftest import ROOT, ServiceProcess

RULES_DIR = ROOT / "deploy" / "prometheus"
RULES = RULES_DIR / "alerts.yml"
SEED_ALERTS = {"LLMHighErrorRate", "LLMSlowResponses", "LLMQuotaApproaching", "LLMProviderDown"}


def promtool() -> str | None:
    found = shutil.which("promtool")
    local = ROOT / ".cache" / "bin" / "promtool"
    return found or (str(local) if local.exists() else None)


def rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def test_every_alert_is_complete_and_the_seed_alerts_are_there() -> None:
    found = rules()
    assert {r["alert"] for r in found} >= SEED_ALERTS
    for rule in found:
        assert rule["expr"].strip() and rule["labels"]["severity"] in {"info", "warning", "critical"}
        assert rule["annotations"]["summary"]


def test_alerts_only_use_metrics_the_service_exports(llm_server: ServiceProcess) -> None:
    exported = httpx.get(f"{llm_server.url}/metrics", timeout=10).text
    families = set(re.findall(r"^# TYPE (\S+) ", exported, flags=re.MULTILINE))
    used = {name for rule in rules() for name in re.findall(r"\bllm_[a-z_]+", rule["expr"])}
    assert used
    for name in used:
        base = re.sub(r"_(total|bucket|sum|count)$", "", name)
        assert base in families or name in families, f"{name} is not exported"


def test_promtool_checks_and_unit_tests_the_rules() -> None:
    tool = promtool()
    if tool is None:
        if os.environ.get("REQUIRE_PROMTOOL"):
            pytest.fail("REQUIRE_PROMTOOL is set but promtool is not installed (.ci/run installs it)")
        pytest.skip("promtool not installed (.ci/run unpacks it from Debian's prometheus package)")
    for args in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts.test.yml"]):
        done = subprocess.run([tool, *args], cwd=RULES_DIR, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr

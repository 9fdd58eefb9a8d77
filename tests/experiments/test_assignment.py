"""Experiments through a running mcp-llm: weighted, sticky assignment on /tools, /v1 and MCP."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import ROOT, ServiceProcess, clean_env

MESSAGES = [{"role": "user", "content": "Say something."}]


def _complete(http: httpx.Client, **args: object) -> dict[str, object]:
    reply = http.post("/tools/complete", json={"messages": MESSAGES, "cache": False, **args})
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_distinct_episodes_split_within_binomial_bounds_of_the_weights(
    llm_experiments: ServiceProcess,
) -> None:
    n, p = 400, 0.75  # weights 3:1
    with httpx.Client(base_url=llm_experiments.url, timeout=30) as http:
        answers = [_complete(http, model="experiment/split", episode_id=f"ep-{i}") for i in range(n)]
    on_a = sum(a["variant"] == "a" for a in answers)
    assert {a["experiment"] for a in answers} == {"split"}
    assert {a["model"] for a in answers if a["variant"] == "a"} == {"mock-1"}
    assert {a["model"] for a in answers if a["variant"] == "b"} == {"mock-2"}
    # 4 standard deviations: a correct split fails this about once in 16 000 runs.
    assert abs(on_a - n * p) <= 4 * math.sqrt(n * p * (1 - p)), on_a


def test_the_same_episode_always_gets_the_same_variant(llm_experiments: ServiceProcess) -> None:
    with httpx.Client(base_url=llm_experiments.url, timeout=30) as http:
        for i in range(20):
            seen = {
                _complete(http, experiment="split", episode_id=f"sticky-{i}")["variant"] for _ in range(5)
            }
            assert len(seen) == 1, (i, seen)
        # Without an episode the organization is the unit: every call of it lands on one variant.
        by_org = {_complete(http, experiment="split", organization_id="acme")["variant"] for _ in range(8)}
        assert len(by_org) == 1


def test_v1_joins_by_model_name_and_says_the_variant(llm_experiments: ServiceProcess) -> None:
    with httpx.Client(base_url=llm_experiments.url, timeout=30) as http:
        tool = _complete(http, experiment="split", episode_id="v1-episode")
        reply = http.post(
            "/v1/chat/completions",
            json={"model": "experiment/split", "messages": MESSAGES, "episode_id": "v1-episode"},
        )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["experiment"], body["variant"]) == ("split", tool["variant"])
    assert body["model"].endswith(str(tool["model"]))


def test_experiments_tool_lists_the_file(llm_experiments: ServiceProcess) -> None:
    listing = httpx.post(f"{llm_experiments.url}/tools/experiments", json={}, timeout=30).json()
    split = next(e for e in listing["experiments"] if e["name"] == "split")
    assert [(v["name"], v["weight"]) for v in split["variants"]] == [("a", 3.0), ("b", 1.0)]


def test_unknown_experiment_and_conflicting_model_are_refused_by_field(
    llm_experiments: ServiceProcess,
) -> None:
    with httpx.Client(base_url=llm_experiments.url, timeout=30) as http:
        unknown = http.post("/tools/complete", json={"messages": MESSAGES, "model": "experiment/nope"})
        both = http.post(
            "/tools/complete", json={"messages": MESSAGES, "model": "mock-1", "experiment": "split"}
        )
        v1 = http.post("/v1/chat/completions", json={"model": "experiment/nope", "messages": MESSAGES})
    assert unknown.status_code == 404 and "nope" in unknown.text and "split" in unknown.text
    assert both.status_code == 400 and "model" in both.text
    assert v1.status_code == 404 and "nope" in v1.text


def test_a_bad_experiments_file_stops_the_server_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("experiments:\n  - name: x\n    variants:\n      - {name: a, model: mock-1}\n")
    done = subprocess.run(
        [sys.executable, "-m", "mcp_llm", "--port", "1"],
        env=clean_env(EXPERIMENTS_FILE=str(bad)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("mcp-llm: EXPERIMENTS_FILE") and "experiments.0.variants" in last, done.stderr

"""Which configuration wins, as an mcp-llm experiment: debates keep one variant, evaluate posts correctness.

An mcp-llm process runs experiments whose variants are the mock's ``mock-math-<p>`` models (right with
probability p); mcp-debate addresses them as ``model: experiment/<name>``. A debate sends its episode
id with every call, so all its turns land on one variant; ``evaluate`` with ``feedback: {metric:
correct}`` posts each item's correctness for the item's episode, and ``experiment_report`` then counts
one feedback per item and shows the stronger variant's higher mean.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ServiceProcess, debate_process, llm_process
from tests.debate.conftest import debate_args

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

EXPERIMENTS = """
metrics:
  - {name: correct, type: boolean}
experiments:
  - name: sticky
    metric: correct
    variants:
      - {name: a, provider: mock, model: mock-1}
      - {name: b, provider: mock, model: mock-2}
  - name: solo
    metric: correct
    min_samples: 20
    variants:
      - {name: strong, provider: mock, model: mock-math-90}
      - {name: weak, provider: mock, model: mock-math-40}
  - name: panel
    metric: correct
    min_samples: 20
    variants:
      - {name: strong, provider: mock, model: mock-math-90}
      - {name: weak, provider: mock, model: mock-math-40}
"""
ITEMS = 120
PANEL_ITEMS = 40


class Services:
    def __init__(self, folder: Path) -> None:
        experiments = folder / "experiments.yaml"
        experiments.write_text(EXPERIMENTS)
        self.llm = llm_process(EXPERIMENTS_FILE=str(experiments))
        self.folder = folder

    def start(self) -> ServiceProcess:
        self.llm.start(timeout=90)
        self.debate = debate_process(
            self.llm.url, self.folder / "debates.db", EVALUATION_DIR=str(self.folder / "evaluations")
        ).start(timeout=90)
        return self.debate

    def stop(self) -> None:
        if hasattr(self, "debate"):
            self.debate.stop()
        self.llm.stop()

    def report(self, experiment: str) -> dict[str, Any]:
        response = httpx.post(
            f"{self.llm.url}/tools/experiment_report", json={"experiment": experiment}, timeout=30
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def requests(self, experiment: str) -> dict[str, int]:
        return {v["variant"]: v["requests"] for v in self.report(experiment)["variants"]}

    def debate_tool(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(f"{self.debate.url}/tools/{tool}", json=args, timeout=300)
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    setup = Services(tmp_path_factory.mktemp("experiment-feedback"))
    try:
        setup.start()
        yield setup
    finally:
        setup.stop()


def test_every_call_of_a_debate_carries_its_episode_and_stays_on_one_variant(services: Services) -> None:
    for episode in ("ep-debate-1", "ep-debate-2", "ep-debate-3", None):
        before = services.requests("sticky")
        args = debate_args(("Pro", "Con"), model="experiment/sticky", max_rounds=2)
        if episode is not None:
            args["episode_id"] = episode
        debate = services.debate_tool("create_debate", args)
        assert debate["episode_id"] == (episode or debate["id"])
        run = services.debate_tool("run_debate", {"debate_id": debate["id"]})
        assert run["state"] == "completed" and run["turns_taken"] == 4
        after = services.requests("sticky")
        grown = {variant: after[variant] - before.get(variant, 0) for variant in after}
        assert sorted(grown.values()) == [0, 4], grown  # four turns, one variant
        rated = httpx.post(
            f"{services.llm.url}/feedback",
            json={"episode_id": debate["episode_id"], "metric": "correct", "value": True},
            timeout=30,
        )
        assert rated.status_code == 200, rated.text
        (winner,) = (variant for variant, count in grown.items() if count)
        assert rated.json()["recorded_for"] == [{"experiment": "sticky", "variant": winner}]


def test_bad_episode_ids_are_refused_naming_the_field(services: Services) -> None:
    for bad in ("has space", "a" * 257, "../x", "a/b", "é"):
        args = {**debate_args(("Pro", "Con")), "episode_id": bad}
        response = httpx.post(f"{services.debate.url}/tools/create_debate", json=args, timeout=30)
        assert response.status_code in (400, 422), response.text
        assert response.json()["error"]["field"] == "episode_id"


def evaluated(services: Services, run: dict[str, Any]) -> dict[str, Any]:
    started = services.debate_tool("evaluate", {**run, "wait": False})
    deadline = time.monotonic() + 500
    while time.monotonic() < deadline:
        view = services.debate_tool("get_evaluation", {"evaluation_id": started["evaluation_id"]})
        if view["state"] != "running":
            assert view["state"] == "completed", view
            return dict(view["report"])
        time.sleep(0.5)
    raise AssertionError("the evaluation did not finish")


def test_evaluate_posts_correctness_and_the_report_favours_the_better_variant(services: Services) -> None:
    experiment = {"provider": "mock", "model": "experiment/solo"}
    panelist = {"provider": "mock", "model": "experiment/panel"}
    report = evaluated(
        services,
        {
            "dataset": {"kind": "arithmetic", "items": ITEMS, "seed": 11},
            "concurrency": 4,
            "feedback": {"metric": "correct"},
            "methods": [
                {"name": "solo", "kind": "single", "model": experiment},
                {"name": "panel", "kind": "vote", "rounds": 1, "panel": [panelist] * 3},
            ],
        },
    )
    solo, panel = report["methods"]
    assert solo["items"] == solo["feedback"] == ITEMS and solo["errors"] == 0
    assert panel["items"] == panel["feedback"] == ITEMS

    seen = services.report("solo")
    variants = {v["variant"]: v for v in seen["variants"]}
    assert sum(v["feedback"] for v in variants.values()) == ITEMS
    assert sum(v["requests"] for v in variants.values()) == ITEMS
    strong, weak = variants["strong"], variants["weak"]
    assert strong["feedback"] > 20 and weak["feedback"] > 20  # a 50:50 split of 120 (binomial: 99.99 %)
    assert strong["mean"] > weak["mean"]
    # mock-math-90 and -40 over ~60 items each: the means sit within 4 standard errors of 0.9 and 0.4.
    for variant, p in ((strong, 0.9), (weak, 0.4)):
        error = (p * (1 - p) / variant["feedback"]) ** 0.5
        assert abs(variant["mean"] - p) < 4 * error, (variant, p)
    # The overall accuracy of the solo method is the feedback-weighted mean of the variants' means.
    weighted = sum(v["mean"] * v["feedback"] for v in variants.values()) / ITEMS
    assert abs(weighted - solo["accuracy"]) < 1e-3

    panel_seen = services.report("panel")
    panel_variants = {v["variant"]: v for v in panel_seen["variants"]}
    assert sum(v["feedback"] for v in panel_variants.values()) == ITEMS
    # Each debate is three first-round answers, all on its episode's variant.
    assert all(v["requests"] == 3 * v["feedback"] for v in panel_variants.values()), panel_variants
    assert panel_variants["strong"]["mean"] > panel_variants["weak"]["mean"]

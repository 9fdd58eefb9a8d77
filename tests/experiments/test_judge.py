"""Judged quality on a running mcp-llm: a slow mock-judge scores every answer in the background.

The judge takes 2 s per score, so an answer that is back while its score is not yet recorded shows
the judge is off the request path. Scores follow mock-judge's documented rule, so they are checked
exactly: (words of the answer mod 11) / 10.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServiceProcess, llm_process

JUDGED_YAML = """
metrics:
  - {name: graded, type: number, min: 0, max: 1}
experiments:
  - name: graded
    metric: graded
    variants:
      - {name: one, provider: mock, model: mock-1}
      - {name: two, provider: mock, model: mock-2}
"""
JUDGE_MODEL = "mock-judge-slow-2000"
QUEUE = 2


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    path: Path = tmp_path_factory.mktemp("judged") / "experiments.yaml"
    path.write_text(JUDGED_YAML)
    proc = llm_process(
        EXPERIMENTS_FILE=str(path),
        JUDGE_MODEL=JUDGE_MODEL,
        JUDGE_PROVIDER="mock",
        JUDGE_SAMPLE_RATE="1.0",
        JUDGE_METRIC="graded",
        JUDGE_QUEUE_SIZE=str(QUEUE),
        JUDGE_ORGANIZATION="ops",
    ).start()
    yield proc
    proc.stop()


def _score(answer: str) -> float:
    return (len(answer.split()) % 11) / 10


def _samples(metrics: str, outcome: str) -> int:
    found = re.search(rf'^llm_judge_samples_total{{outcome="{outcome}"}} (\S+)$', metrics, re.MULTILINE)
    return int(float(found.group(1))) if found else 0


def test_the_judge_scores_answers_off_the_request_path_and_bills_the_operator(judged: ServiceProcess) -> None:
    with httpx.Client(base_url=judged.url, timeout=30) as http:
        answers = []
        for i in range(5):
            reply = http.post(
                "/tools/complete",
                json={
                    "experiment": "graded",
                    "episode_id": f"judged-{i}",
                    "organization_id": "acme",
                    "messages": [{"role": "user", "content": f"Question number {i}: is water wet?"}],
                },
            )
            assert reply.status_code == 200, reply.text
            answers.append(reply.json())
            if i == 0:  # the answer is back while the judge (2 s) is still scoring it
                early = http.post("/tools/quality_report", json={"organization_id": "acme"}).json()["totals"]
        metrics = http.get("/metrics").text
        queued, dropped = _samples(metrics, "queued"), _samples(metrics, "dropped")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            metrics = http.get("/metrics").text
            if _samples(metrics, "scored") + _samples(metrics, "failed") >= queued:
                break
            time.sleep(0.2)
        quality = http.post("/tools/quality_report", json={"organization_id": "acme"}).json()
        report = http.post("/tools/experiment_report", json={"experiment": "graded"}).json()
        caller_usage = http.post("/tools/usage_report", json={"organization_id": "acme"}).json()
        judge_usage = http.post("/tools/usage_report", json={"organization_id": "ops"}).json()
    assert early["responses"] == 1 and early["judged"] == 0
    # A queue of 2 behind a busy worker: the first answers are judged, the rest dropped and counted.
    assert queued + dropped == 5 and QUEUE <= queued <= QUEUE + 1, (queued, dropped)
    assert _samples(metrics, "scored") == queued and _samples(metrics, "failed") == 0
    expected = [_score(a["content"]) for a in answers[:queued]]
    assert quality["totals"]["judged"] == queued
    rows = [r for r in quality["rows"] if r["judged"]]
    assert sum(r["judged"] * r["judge_score"] for r in rows) == pytest.approx(sum(expected), abs=1e-6)
    # Recorded as feedback from the judge, on the experiment variant that answered.
    assert f'llm_feedback_values_total{{metric="graded",source="judge"}} {float(queued)}' in metrics
    by_variant: dict[str, list[float]] = {}
    for answer, score in zip(answers, expected, strict=False):
        by_variant.setdefault(answer["variant"], []).append(score)
    for row in report["variants"]:
        scores = by_variant.get(row["variant"], [])
        assert row["feedback"] == len(scores)
        if scores:
            assert row["mean"] == pytest.approx(sum(scores) / len(scores), abs=1e-6)
    # The judge's calls are billed to the operator organization, never to the caller.
    assert {r["model"] for r in caller_usage["rows"]} <= {"mock-1", "mock-2"}
    assert caller_usage["totals"]["requests"] == 5
    assert [(r["model"], r["requests"]) for r in judge_usage["rows"]] == [(JUDGE_MODEL, queued)]

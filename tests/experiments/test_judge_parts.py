"""The judge's pieces that need no server: reading its reply, its bounded queue and its sampling."""

from __future__ import annotations

import random

import pytest
from prometheus_client import CollectorRegistry

from mcp_llm.quality.judge import Judge, JudgeConfig, Sample, read_score
from mcp_llm.quality.signals import QualitySignals
from mcp_llm.routing.labels import ModelLabels
from mcp_llm.side_calls import SideCalls


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ('{"score": 0.7}', 0.7),
        ('{"score": 1}', 1.0),
        ('{"score": 1.5}', None),  # out of the scale
        ('{"score": true}', None),  # a boolean is not a number here
        ('{"score": "0.7"}', None),
        ("[0.7]", None),
        ("The answer deserves 0.7.", None),
    ],
)
def test_only_a_number_in_range_is_a_score(reply: str, score: float | None) -> None:
    assert read_score(reply, 0.0, 1.0) == score


def _judge(rate: float, queue: int) -> tuple[Judge, CollectorRegistry]:
    registry = CollectorRegistry()
    signals = QualitySignals(registry, ModelLabels(), frozenset())
    config = JudgeConfig(None, "mock-judge", rate, "rubric", queue, "ops")
    return Judge(config, signals, SideCalls(), registry, rng=random.Random(7)), registry


def _sample(i: int) -> Sample:
    return Sample("acme", f"req-{i}", "mock", "mock-1", None, "user: hi", f"answer {i}")


async def test_a_full_queue_drops_and_counts_instead_of_waiting() -> None:
    judge, registry = _judge(1.0, 3)
    for i in range(10):  # no worker running: nothing is taken off the queue
        assert judge.sampled()
        judge.enqueue(_sample(i))
    assert registry.get_sample_value("llm_judge_samples_total", {"outcome": "queued"}) == 3
    assert registry.get_sample_value("llm_judge_samples_total", {"outcome": "dropped"}) == 7
    assert registry.get_sample_value("llm_judge_queue_depth") == 3


def test_the_sampled_fraction_is_the_configured_rate() -> None:
    judge, _ = _judge(0.2, 10)
    drawn = sum(judge.sampled() for _ in range(10_000))
    # binomial(10000, 0.2): sd 40; four of them either side
    assert abs(drawn - 2_000) <= 160, drawn

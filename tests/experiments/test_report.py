"""experiment_report through a running mcp-llm, fed by correctness the test checks itself."""

from __future__ import annotations

import random

import httpx

from tests.conftest import ServiceProcess


def _play(http: httpx.Client, experiment: str, episodes: int, seed: int) -> None:
    """One arithmetic question per episode; the answer's correctness is posted as feedback."""
    rng = random.Random(seed)
    for i in range(episodes):
        a, b, c = rng.randint(1, 90), rng.randint(1, 90), rng.randint(2, 9)
        episode = f"{experiment}-{seed}-{i}"
        reply = http.post(
            "/tools/complete",
            json={
                "experiment": experiment,
                "episode_id": episode,
                "cache": False,
                "messages": [
                    {"role": "system", "content": f"You are Solver {i % 5}, a participant."},
                    {"role": "user", "content": f"What is ({a}+{b})*{c}?"},
                ],
            },
        )
        assert reply.status_code == 200, reply.text
        answer = reply.json()["content"].rsplit("Final answer: ", 1)[1].strip()
        correct = answer == str((a + b) * c)
        fed = http.post("/feedback", json={"episode_id": episode, "metric": "correct", "value": correct})
        assert fed.status_code == 200, fed.text


def _report(http: httpx.Client, experiment: str) -> dict[str, object]:
    reply = http.post("/tools/experiment_report", json={"experiment": experiment})
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_the_report_names_the_better_variant_and_not_one_between_equals(
    llm_experiments: ServiceProcess,
) -> None:
    with httpx.Client(base_url=llm_experiments.url, timeout=30) as http:
        _play(http, "math", 20, seed=1)
        early = _report(http, "math")
        _play(http, "math", 140, seed=2)
        late = _report(http, "math")
        _play(http, "equal", 200, seed=3)
        equal = _report(http, "equal")
    assert early["decision"] == "collecting"
    assert late["decision"] == "winner: strong", late
    by_name = {v["variant"]: v for v in late["variants"]}
    strong, weak = by_name["strong"], by_name["weak"]
    assert strong["requests"] + weak["requests"] == 160
    assert strong["feedback"] == strong["requests"] and weak["feedback"] == weak["requests"]
    # The mock is right p % of the time; each interval holds its p (an always-valid 95 % interval).
    assert strong["interval_95"][0] <= 0.9 <= strong["interval_95"][1]
    assert weak["interval_95"][0] <= 0.4 <= weak["interval_95"][1]
    assert strong["latency_ms"]["p50"] is not None and strong["cost_usd"]["p95"] == 0.0
    assert equal["decision"] == "no difference at this sample size", equal


def test_freezing_sends_every_episode_to_the_chosen_variant(llm_experiments: ServiceProcess) -> None:
    messages = [{"role": "user", "content": "Hello."}]
    with httpx.Client(base_url=llm_experiments.url, timeout=30) as http:
        frozen = http.post("/tools/freeze_experiment", json={"experiment": "split", "variant": "b"})
        assert frozen.status_code == 200 and frozen.json()["frozen_on"] == "b", frozen.text
        during = {
            http.post(
                "/tools/complete", json={"experiment": "split", "episode_id": f"fz-{i}", "messages": messages}
            ).json()["variant"]
            for i in range(30)
        }
        assert _report(http, "split")["frozen_on"] == "b"
        bad = http.post("/tools/freeze_experiment", json={"experiment": "split", "variant": "zzz"})
        http.post("/tools/freeze_experiment", json={"experiment": "split"})
        after = {
            http.post(
                "/tools/complete", json={"experiment": "split", "episode_id": f"fz-{i}", "messages": messages}
            ).json()["variant"]
            for i in range(30)
        }
    assert during == {"b"}
    assert after == {"a", "b"}  # 30 episodes at 3:1 all on one side: about 1 in 5000
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "variant"

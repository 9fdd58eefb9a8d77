"""Feedback through a running mcp-llm: declared metrics only, the caller's own requests only."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import RedisServer, ServiceProcess, llm_process

MESSAGES = [{"role": "user", "content": "Say something."}]


def _ask(http: httpx.Client, **args: object) -> dict[str, object]:
    reply = http.post("/tools/complete", json={"messages": MESSAGES, "cache": False, **args})
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_feedback_counts_for_the_variant_that_answered(llm_experiments: ServiceProcess) -> None:
    with httpx.Client(base_url=llm_experiments.url, timeout=30) as http:
        answer = _ask(http, experiment="split", episode_id="fb-1", organization_id="acme")
        by_tool = http.post(
            "/tools/record_feedback",
            json={
                "request_id": answer["request_id"],
                "metric": "correct",
                "value": True,
                "organization_id": "acme",
            },
        )
        by_route = http.post(
            "/feedback",
            json={"episode_id": "fb-1", "metric": "rating", "value": 4, "organization_id": "acme"},
        )
        comment = http.post(
            "/feedback",
            json={"episode_id": "fb-1", "metric": "note", "value": "terse", "organization_id": "acme"},
        )
        again = http.post(
            "/feedback",
            json={"episode_id": "fb-1", "metric": "rating", "value": 5, "organization_id": "acme"},
        )
    rated = [{"experiment": "split", "variant": answer["variant"]}]
    assert again.status_code == 409 and "rating" in again.text  # one value per episode and metric
    assert by_tool.status_code == 200, by_tool.text
    assert by_tool.json()["recorded_for"] == rated
    assert by_route.status_code == 200 and by_route.json()["recorded_for"] == rated, by_route.text
    assert comment.status_code == 200, comment.text


def test_feedback_for_another_organizations_request_is_refused(llm_experiments: ServiceProcess) -> None:
    with httpx.Client(base_url=llm_experiments.url, timeout=30) as http:
        answer = _ask(http, experiment="split", episode_id="fb-2", organization_id="acme")
        other = http.post(
            "/feedback",
            json={
                "request_id": answer["request_id"],
                "metric": "correct",
                "value": True,
                "organization_id": "rival",
            },
        )
        other_episode = http.post(
            "/feedback",
            json={"episode_id": "fb-2", "metric": "correct", "value": True, "organization_id": "rival"},
        )
        own = http.post(
            "/feedback",
            json={
                "request_id": answer["request_id"],
                "metric": "correct",
                "value": False,
                "organization_id": "acme",
            },
        )
    assert other.status_code == 404 and other.json()["error"]["field"] == "request_id", other.text
    assert other_episode.status_code == 404, other_episode.text
    assert own.status_code == 200, own.text


def test_unknown_metrics_and_wrong_values_are_refused_by_name(llm_experiments: ServiceProcess) -> None:
    with httpx.Client(base_url=llm_experiments.url, timeout=30) as http:
        answer = _ask(http, experiment="split", organization_id="acme")
        rid = answer["request_id"]
        unknown = http.post(
            "/feedback", json={"request_id": rid, "metric": "vibes", "value": 1, "organization_id": "acme"}
        )
        wrong_kind = http.post(
            "/feedback", json={"request_id": rid, "metric": "correct", "value": 1, "organization_id": "acme"}
        )
        out_of_range = http.post(
            "/feedback", json={"request_id": rid, "metric": "rating", "value": 9, "organization_id": "acme"}
        )
        neither = http.post("/feedback", json={"metric": "correct", "value": True})
        not_json = http.post("/feedback", content=b"{nope")
    assert unknown.status_code == 400 and "vibes" in unknown.text and "correct" in unknown.text
    assert unknown.json()["error"]["field"] == "metric"
    assert wrong_kind.status_code == 400 and wrong_kind.json()["error"]["field"] == "value"
    assert out_of_range.status_code == 400 and "1 to 5" in out_of_range.text
    assert neither.status_code == 422 and "request_id" in neither.text  # the schema refuses it
    assert not_json.status_code == 400


def test_feedback_survives_a_restart_with_redis(private_redis: RedisServer, experiments_file: Path) -> None:
    env = {"REDIS_URL": private_redis.url, "EXPERIMENTS_FILE": str(experiments_file)}
    proc = llm_process(**env).start()
    try:
        with httpx.Client(base_url=proc.url, timeout=30) as http:
            answer = _ask(http, experiment="split", organization_id="acme")
    finally:
        proc.stop()
    proc = llm_process(**env).start()
    try:
        with httpx.Client(base_url=proc.url, timeout=30) as http:
            reply = http.post(
                "/feedback",
                json={
                    "request_id": answer["request_id"],
                    "metric": "correct",
                    "value": True,
                    "organization_id": "acme",
                },
            )
            twice = http.post(
                "/feedback",
                json={
                    "request_id": answer["request_id"],
                    "metric": "correct",
                    "value": False,
                    "organization_id": "acme",
                },
            )
            refused = http.post(
                "/feedback",
                json={
                    "request_id": answer["request_id"],
                    "metric": "correct",
                    "value": True,
                    "organization_id": "rival",
                },
            )
    finally:
        proc.stop()
    assert reply.status_code == 200, reply.text
    assert reply.json()["backend"] == "redis"
    assert reply.json()["recorded_for"] == [{"experiment": "split", "variant": answer["variant"]}]
    assert refused.status_code == 404
    assert twice.status_code == 409

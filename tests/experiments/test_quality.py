"""Quality signals through a running mcp-llm: truncation, empty answers, speed and time to first token,
as bounded Prometheus series and in quality_report."""

from __future__ import annotations

import httpx

from tests.conftest import ServiceProcess
from tests.sse import sse_events


def _rows(http: httpx.Client) -> list[dict[str, object]]:
    reply = http.post("/tools/quality_report", json={})
    assert reply.status_code == 200, reply.text
    return reply.json()["rows"]


def test_truncated_and_empty_answers_are_counted_per_model_and_variant(
    llm_experiments: ServiceProcess,
) -> None:
    with httpx.Client(base_url=llm_experiments.url, timeout=30) as http:
        for _ in range(3):  # max_tokens 1 cuts the answer: finish_reason length
            cut = http.post(
                "/tools/complete",
                json={
                    "model": "mock-echo",
                    "max_tokens": 1,
                    "cache": False,
                    "messages": [{"role": "user", "content": "one two three four"}],
                },
            ).json()
            assert cut["finish_reason"] == "length"
        empty = http.post(  # the stop sequence is the whole echo: nothing is left
            "/tools/complete",
            json={
                "model": "mock-echo",
                "stop": ["silence"],
                "cache": False,
                "messages": [{"role": "user", "content": "silence"}],
            },
        ).json()
        assert empty["content"].strip() == ""
        row = next(r for r in _rows(http) if r["model"] == "mock-echo")
        metrics = http.get("/metrics").text
    assert (row["provider"], row["variant"]) == ("mock", "none")
    assert row["responses"] == 4 and row["truncated"] == 3 and row["empty"] == 1
    assert row["output_tokens_per_second"] is not None and row["output_tokens_per_second"] > 0
    assert (
        'llm_quality_responses_total{finish_reason="length",model="mock-echo",provider="mock",'
        'variant="none"} 3.0' in metrics
    )
    assert 'llm_quality_empty_answers_total{model="mock-echo",provider="mock",variant="none"} 1.0' in metrics


def test_streams_record_time_to_first_token_under_their_variant(llm_experiments: ServiceProcess) -> None:
    with httpx.Client(base_url=llm_experiments.url, timeout=30) as http:
        reply = http.post(
            "/tools/stream_complete",
            json={
                "experiment": "split",
                "episode_id": "stream-1",
                "cache": False,
                "messages": [{"role": "user", "content": "Tell me a story."}],
            },
        )
        done = [data for event, data in sse_events(reply.text) if event == "done"]
        assert done and done[0]["experiment"] == "split", reply.text
        variant = done[0]["variant"]
        row = next(r for r in _rows(http) if r["variant"] == variant and r["model"] == done[0]["model"])
        # A caller-chosen variant name never becomes a label: only configured ones, else "other".
        bogus = http.post(
            "/tools/complete",
            json={"experiment": "not-configured", "messages": [{"role": "user", "content": "x"}]},
        )
    assert row["time_to_first_token_p50_s"] is not None and row["time_to_first_token_p50_s"] > 0
    assert bogus.status_code == 404

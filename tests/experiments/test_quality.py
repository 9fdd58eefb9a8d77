"""Quality signals through a running mcp-llm: truncation, empty answers, refusals, JSON validity, speed
and time to first token, as bounded Prometheus series and in quality_report (periods, CSV, Redis)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import RedisServer, ServiceProcess, llm_process
from tests.sse import sse_events


def _rows(http: httpx.Client, organization: str | None = None) -> list[dict[str, Any]]:
    reply = http.post("/tools/quality_report", json={"organization_id": organization} if organization else {})
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
                    "organization_id": "truncation-org",
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
                "organization_id": "truncation-org",
                "messages": [{"role": "user", "content": "silence"}],
            },
        ).json()
        assert empty["content"].strip() == ""
        (row,) = _rows(http, "truncation-org")
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
                "organization_id": "stream-org",
                "cache": False,
                "messages": [{"role": "user", "content": "Tell me a story."}],
            },
        )
        done = [data for event, data in sse_events(reply.text) if event == "done"]
        assert done and done[0]["experiment"] == "split", reply.text
        variant = done[0]["variant"]
        (row,) = [r for r in _rows(http, "stream-org") if r["variant"] == variant]
        # A caller-chosen variant name never becomes a label: only configured ones, else "other".
        bogus = http.post(
            "/tools/complete",
            json={"experiment": "not-configured", "messages": [{"role": "user", "content": "x"}]},
        )
    assert row["time_to_first_token_s"] is not None and row["time_to_first_token_s"] > 0
    assert bogus.status_code == 404


SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "people": {"type": "integer"}},
    "required": ["city", "people"],
}


def _echo(
    http: httpx.Client, text: str, response_format: dict[str, object] | None = None, **extra: object
) -> httpx.Response:
    body: dict[str, object] = {
        "model": "mock-echo",
        "cache": False,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }
    if response_format is not None:
        body["response_format"] = response_format
    return http.post("/tools/complete", json=body)


def test_json_answers_are_checked_against_what_the_caller_asked_for(llm_experiments: ServiceProcess) -> None:
    by_schema = {"type": "json_schema", "json_schema": {"name": "town", "schema": SCHEMA}}
    org = {"organization_id": "json-org"}
    with httpx.Client(base_url=llm_experiments.url, timeout=30) as http:
        valid = _echo(http, '{"city": "Oslo", "people": 700000}', by_schema, **org)
        mismatch = _echo(http, '{"city": "Oslo", "people": "many"}', by_schema, **org)
        unparsable = _echo(http, "Oslo, about 700k people", by_schema, **org)
        any_object = _echo(http, '{"anything": [1, 2]}', {"type": "json_object"}, **org)
        not_an_object = _echo(http, "[1, 2]", {"type": "json_object"}, **org)
        plain = _echo(http, "no JSON asked for", **org)
        bad_schema = _echo(
            http, "{}", {"type": "json_schema", "json_schema": {"schema": {"type": 12}}}, **org
        )
        missing_schema = _echo(http, "{}", {"type": "json_schema"}, **org)
        via_v1 = http.post(
            "/v1/chat/completions",
            json={
                "model": "mock-echo",
                "messages": [{"role": "user", "content": '{"city": "Bergen", "people": 290000}'}],
                "response_format": by_schema,
            },
        )
        report = http.post("/tools/quality_report", json={"organization_id": "json-org"}).json()
        default = http.post("/tools/quality_report", json={"organization_id": "default"}).json()
        metrics = http.get("/metrics").text
    for reply in (valid, mismatch, unparsable, any_object, not_an_object, plain, via_v1):
        assert reply.status_code == 200, reply.text
    # A schema that is not JSON Schema is the caller's error, named by field, before any provider call.
    assert bad_schema.status_code == 400 and bad_schema.json()["error"]["field"] == "response_format"
    assert missing_schema.status_code == 422 and "json_schema" in missing_schema.text
    (row,) = report["rows"]
    assert (row["model"], row["responses"], row["json_requested"]) == ("mock-echo", 6, 5)
    # valid: the first and the JSON object; schema_mismatch: a wrong type, and a list for json_object
    assert (row["json_valid"], row["json_schema_mismatch"], row["json_unparsable"]) == (2, 2, 1)
    # /v1 takes OpenAI's response_format as it is (its caller is the default organization here)
    assert default["totals"]["json_requested"] == default["totals"]["json_valid"] == 1
    line = 'llm_quality_json_answers_total{model="mock-echo",outcome="%s",provider="mock",variant="none"}'
    # the session's server is shared; other tests do not ask for JSON, so these are this test's counts
    assert f"{line % 'valid'} 3.0" in metrics and f"{line % 'schema_mismatch'} 2.0" in metrics
    assert f"{line % 'unparsable'} 1.0" in metrics


def test_refusal_wording_is_counted_only_near_the_start_of_an_answer(
    llm_experiments: ServiceProcess,
) -> None:
    org = {"organization_id": "refusal-org"}
    with httpx.Client(base_url=llm_experiments.url, timeout=30) as http:
        for text in (
            "I\u2019m sorry, but I can\u2019t help with that request.",
            "I cannot assist with creating malware.",
            "Here is the recipe. "
            + "Stir the flour and the butter slowly. " * 6
            + "Some say I cannot help with this.",
            "Sure: 2 + 2 = 4.",
        ):
            assert _echo(http, text, **org).status_code == 200
        (row,) = http.post("/tools/quality_report", json={"organization_id": "refusal-org"}).json()["rows"]
        metrics = http.get("/metrics").text
    assert (row["responses"], row["refusals"], row["empty"]) == (4, 2, 0)
    assert 'llm_quality_refusals_total{model="mock-echo",provider="mock",variant="none"}' in metrics


def test_quality_report_periods_filters_and_csv(llm_experiments: ServiceProcess) -> None:
    today = datetime.now(UTC).date().isoformat()
    org = {"organization_id": "period-org"}
    with httpx.Client(base_url=llm_experiments.url, timeout=30) as http:
        for i in range(3):
            _echo(http, f"answer {i}", **org)
        http.post(
            "/tools/complete",
            json={
                "experiment": "split",
                "episode_id": "period-ep",
                "messages": [{"role": "user", "content": "x"}],
                **org,
            },
        )
        daily = http.post("/tools/quality_report", json={**org, "start": today, "end": today}).json()
        monthly = http.post("/tools/quality_report", json={**org, "granularity": "month"}).json()
        only_echo = http.post("/tools/quality_report", json={**org, "model": "mock-echo"}).json()
        as_csv = http.get("/quality", params={**org, "period": "today", "format": "csv"})
        yesterday = http.post("/tools/quality_report", json={**org, "period": "yesterday"}).json()
        both = http.post("/tools/quality_report", json={**org, "period": "today", "start": today})
        backwards = http.post("/tools/quality_report", json={**org, "start": today, "end": "2020-01-01"})
    assert {r["period"] for r in daily["rows"]} == {today}
    assert {r["period"] for r in monthly["rows"]} == {today[:7]}
    assert daily["totals"]["responses"] == monthly["totals"]["responses"] == 4
    assert [r["variant"] for r in daily["rows"] if r["model"] != "mock-echo"] in (["a"], ["b"])
    assert [(r["model"], r["responses"]) for r in only_echo["rows"]] == [("mock-echo", 3)]
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert sum(int(r["responses"]) for r in table) == 4 and {r["organization"] for r in table} == {
        "period-org"
    }
    assert yesterday["rows"] == [] and yesterday["totals"]["responses"] == 0
    assert both.status_code == 422
    assert backwards.status_code == 400 and backwards.json()["error"]["field"] == "start"


def test_quality_totals_are_shared_by_replicas_and_survive_a_restart(
    private_redis: RedisServer, experiments_file: Path
) -> None:
    env = {"REDIS_URL": private_redis.url, "EXPERIMENTS_FILE": str(experiments_file)}
    first, second = llm_process(**env).start(), llm_process(**env).start()
    try:
        with httpx.Client(base_url=first.url, timeout=30) as http:
            for i in range(2):
                _echo(http, f"I cannot help with part {i}.", organization_id="shared-org")
        with httpx.Client(base_url=second.url, timeout=30) as http:
            _echo(http, "{}", {"type": "json_object"}, organization_id="shared-org")
            seen_by_second = http.post("/tools/quality_report", json={"organization_id": "shared-org"}).json()
        first.stop()  # stopping writes what is still buffered
        second.stop()
        first = llm_process(**env).start()
        with httpx.Client(base_url=first.url, timeout=30) as http:
            after = http.post("/tools/quality_report", json={"organization_id": "shared-org"}).json()
    finally:
        first.stop()
        second.stop()
    assert seen_by_second["backend"] == "redis"
    (row,) = after["rows"]
    assert (row["responses"], row["refusals"], row["json_requested"], row["json_valid"]) == (3, 2, 1, 1)


def test_retries_and_fallbacks_are_counted_on_the_answer_that_took_them(
    llm_experiments: ServiceProcess,
) -> None:
    org = {"organization_id": "retry-org", "cache": False}
    hello = [{"role": "user", "content": "Hello."}]
    with httpx.Client(base_url=llm_experiments.url, timeout=30) as http:
        retried = http.post(  # fails its first attempt, then answers
            "/tools/complete", json={"model": "mock-fail-server-error-1", "messages": hello, **org}
        ).json()
        fell_back = http.post(
            "/tools/complete",
            json={  # a context window too small is not retried: the next hop is tried
                "model": "mock-fail-context-length",
                "fallbacks": [{"provider": "mock", "model": "mock-2"}],
                "messages": hello,
                **org,
            },
        ).json()
        rows = http.post("/tools/quality_report", json={"organization_id": "retry-org"}).json()["rows"]
        metrics = http.get("/metrics").text
    assert retried["model"] == "mock-fail-server-error-1" and fell_back["model"] == "mock-2"
    by_model = {r["model"]: r for r in rows}
    assert (
        by_model["mock-fail-server-error-1"]["retries"],
        by_model["mock-fail-server-error-1"]["fallbacks"],
    ) == (1, 0)
    assert (by_model["mock-2"]["retries"], by_model["mock-2"]["fallbacks"]) == (0, 1)
    assert 'llm_quality_fallback_answers_total{model="mock-2",provider="mock",variant="none"}' in metrics

"""Idempotent calls on real mcp-llm processes: a repeated key is answered from the store, not the vendor.

The proof is mcp-llm's own ``llm_requests_total`` (provider calls) and its usage report: a replay
adds to neither.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from openai import OpenAI

from tests.conftest import RedisServer, ServiceProcess, llm_process
from tests.metrics import metric


@pytest.fixture
def processes() -> Iterator[Callable[..., ServiceProcess]]:
    """mcp-llm processes started by a test, each stopped by PID afterwards."""
    started: list[ServiceProcess] = []

    def start(**env: str) -> ServiceProcess:
        proc = llm_process(**env).start()
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture(scope="module")
def server() -> Iterator[ServiceProcess]:
    proc = llm_process().start()
    yield proc
    proc.stop()


def key() -> str:
    return f"test:{uuid.uuid4().hex}"


def ask(text: str, model: str = "mock-1", **fields: Any) -> dict[str, Any]:
    # cache off and a temperature above the cache's ceiling: only the idempotency store can repeat an answer
    return {
        "provider": "mock",
        "model": model,
        "messages": [{"role": "user", "content": text}],
        "temperature": 1.0,
        "cache": False,
        **fields,
    }


def provider_calls(server: ServiceProcess, model: str = "mock-1") -> float:
    return metric(server.url, "llm_requests_total", provider="mock", model=model)


def usage_requests(server: ServiceProcess, organization: str) -> int:
    response = httpx.get(
        f"{server.url}/usage", params={"period": "today", "organization_id": organization}, timeout=10
    )
    response.raise_for_status()
    return int(response.json()["totals"]["requests"])


def test_a_repeat_is_replayed_without_a_provider_call_or_a_bill(server: ServiceProcess) -> None:
    k, org = key(), f"org-{uuid.uuid4().hex[:8]}"
    before = provider_calls(server)
    with httpx.Client(base_url=server.url, timeout=15) as http:
        first = http.post("/tools/complete", json=ask("one answer", idempotency_key=k, organization_id=org))
        again = http.post("/tools/complete", json=ask("one answer", idempotency_key=k, organization_id=org))
    assert first.status_code == again.status_code == 200
    one, two = first.json(), again.json()
    assert (one["replayed"], two["replayed"]) == (False, True)
    assert two["content"] == one["content"] and two["usage"] == one["usage"]
    assert two["request_id"] == one["request_id"]  # the original call's, as it was paid for
    assert provider_calls(server) - before == 1
    assert usage_requests(server, org) == 1


def test_the_same_key_with_another_request_is_refused_naming_the_field(server: ServiceProcess) -> None:
    k = key()
    with httpx.Client(base_url=server.url, timeout=15) as http:
        http.post("/tools/complete", json=ask("first body", idempotency_key=k)).raise_for_status()
        before = provider_calls(server)
        other = http.post("/tools/complete", json=ask("second body", idempotency_key=k))
        hotter = http.post("/tools/complete", json=ask("first body", idempotency_key=k, temperature=0.2))
    for response in (other, hotter):
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["type"] == "invalid_request" and error["field"] == "idempotency_key"
    assert provider_calls(server) == before


@pytest.mark.parametrize("bad", ["has space", "x" * 256, "a/../b", ""])
def test_a_malformed_key_is_an_invalid_request_naming_it(server: ServiceProcess, bad: str) -> None:
    response = httpx.post(f"{server.url}/tools/complete", json=ask("hi", idempotency_key=bad), timeout=10)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "idempotency_key"
    assert bad not in response.text or bad == ""


def test_organizations_do_not_share_keys(server: ServiceProcess) -> None:
    k = key()
    before = provider_calls(server)
    with httpx.Client(base_url=server.url, timeout=15) as http:
        alpha = http.post("/tools/complete", json=ask("same", idempotency_key=k, organization_id="alpha"))
        beta = http.post("/tools/complete", json=ask("same", idempotency_key=k, organization_id="beta"))
    assert alpha.json()["replayed"] is False and beta.json()["replayed"] is False
    assert provider_calls(server) - before == 2


def test_concurrent_calls_with_one_key_pay_once(server: ServiceProcess) -> None:
    k, model = key(), "mock-slow-600"
    before = provider_calls(server, model)

    def call(_: int) -> dict[str, Any]:
        body = ask("slow and shared", model=model, idempotency_key=k)
        response = httpx.post(f"{server.url}/tools/complete", json=body, timeout=15)
        response.raise_for_status()
        return dict(response.json())

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(call, range(4)))
    assert len({a["content"] for a in answers}) == 1
    assert sorted(a["replayed"] for a in answers) == [False, True, True, True]
    assert provider_calls(server, model) - before == 1


def test_a_failed_call_is_not_kept(server: ServiceProcess) -> None:
    k, model = key(), "mock-fail-auth-1"  # fails the first attempt, answers the next
    with httpx.Client(base_url=server.url, timeout=15) as http:
        failed = http.post("/tools/complete", json=ask("try twice", model=model, idempotency_key=k))
        retried = http.post("/tools/complete", json=ask("try twice", model=model, idempotency_key=k))
        replayed = http.post("/tools/complete", json=ask("try twice", model=model, idempotency_key=k))
    assert failed.status_code == 401
    assert retried.status_code == 200 and retried.json()["replayed"] is False
    assert replayed.json()["replayed"] is True


def test_a_stream_replays_the_kept_answer_as_one_chunk(server: ServiceProcess) -> None:
    k = key()
    with httpx.Client(base_url=server.url, timeout=15) as http:
        plain = http.post("/tools/complete", json=ask("stream me later", idempotency_key=k)).json()
        before = provider_calls(server)
        streamed = http.post("/tools/stream_complete", json=ask("stream me later", idempotency_key=k))
    frames = [f for f in streamed.text.split("\n\n") if f]
    assert [f.split("\n")[0] for f in frames] == ["event: chunk", "event: done"]
    assert json.loads(frames[0].split("data: ", 1)[1])["content"] == plain["content"]
    done = json.loads(frames[-1].split("data: ", 1)[1])
    assert done["replayed"] is True and done["content"] == plain["content"]
    assert provider_calls(server) == before


def test_the_v1_header_through_the_openai_sdk(server: ServiceProcess) -> None:
    k = key()
    client = OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
    before = provider_calls(server)
    answers = [
        client.chat.completions.with_raw_response.create(
            model="mock/mock-1",
            messages=[{"role": "user", "content": "through the SDK"}],
            temperature=1.0,
            extra_headers={"Idempotency-Key": k},
        )
        for _ in range(2)
    ]
    first, second = (a.parse() for a in answers)
    assert second.choices[0].message.content == first.choices[0].message.content
    assert answers[0].headers.get("idempotent-replayed") is None
    assert answers[1].headers.get("idempotent-replayed") == "true"
    assert provider_calls(server) - before == 1
    bad = httpx.post(
        f"{server.url}/v1/chat/completions",
        json={"model": "mock/mock-1", "messages": [{"role": "user", "content": "x"}]},
        headers={"Idempotency-Key": "no spaces allowed"},
        timeout=10,
    )
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "idempotency_key"


def test_redis_keeps_answers_across_a_restart(
    processes: Callable[..., ServiceProcess], private_redis: RedisServer
) -> None:
    k = key()
    first = processes(REDIS_URL=private_redis.url)
    body = ask("remember me", idempotency_key=k)
    original = httpx.post(f"{first.url}/tools/complete", json=body, timeout=15)
    original.raise_for_status()
    first.kill()  # a crash, not a clean stop: the answer must already be in Redis
    second = processes(REDIS_URL=private_redis.url)
    again = httpx.post(f"{second.url}/tools/complete", json=body, timeout=15)
    assert again.json()["replayed"] is True and again.json()["content"] == original.json()["content"]
    assert provider_calls(second) == 0


def test_two_replicas_on_one_redis_pay_once_for_concurrent_repeats(
    processes: Callable[..., ServiceProcess], private_redis: RedisServer
) -> None:
    k, model = key(), "mock-slow-600"
    replicas = [processes(REDIS_URL=private_redis.url) for _ in range(2)]

    def call(index: int) -> dict[str, Any]:
        body = ask("shared across replicas", model=model, idempotency_key=k)
        response = httpx.post(f"{replicas[index % 2].url}/tools/complete", json=body, timeout=15)
        response.raise_for_status()
        return dict(response.json())

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(call, range(4)))
    assert len({a["content"] for a in answers}) == 1
    assert sorted(a["replayed"] for a in answers) == [False, True, True, True]
    assert sum(provider_calls(r, model) for r in replicas) == 1

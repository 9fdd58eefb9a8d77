"""``POST /v1/batch/chat/completions`` on a running mcp-llm: OpenAI Batch-shaped lines in, OpenAI-shaped
answers and errors out in input order, one failing line never failing the batch; bad batches refused
naming the field. Driven with httpx and with the OpenAI SDK's own request path and types."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from openai import BadRequestError, OpenAI
from openai.types.chat import ChatCompletion

from tests.conftest import ServiceProcess
from tests.fakes import openai_api as wire
from tests.fakes.server import Reply, Script

PATH = "/v1/batch/chat/completions"


def line(custom_id: str, model: str, content: str = "Name a colour.", **extra: Any) -> dict[str, Any]:
    body = {"model": model, "messages": [{"role": "user", "content": content}], **extra}
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}


@pytest.fixture
def http(llm_server: ServiceProcess):
    with httpx.Client(base_url=llm_server.url, timeout=30) as client:
        yield client


def test_answers_and_errors_come_back_in_input_order(http: httpx.Client, openai_script: Script) -> None:
    openai_script.push(
        wire.CHAT, Reply(json=wire.completion_body("Teal.", prompt_tokens=1000, completion_tokens=2))
    )
    lines = [
        line("slow", "mock/mock-slow-300", cache=False),
        line("vendor", "openai/gpt-5-mini", cache=False),
        line("auth", "mock/mock-fail-auth"),
        line("nobody", "no-such-model-9"),
        {
            "custom_id": "echo",
            "body": {"model": "mock/mock-echo", "messages": [{"role": "user", "content": "hi"}]},
        },
    ]
    response = http.post(PATH, json={"requests": lines, "concurrency": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    data = body["data"]
    assert [d["custom_id"] for d in data] == ["slow", "vendor", "auth", "nobody", "echo"]
    assert [d["response"]["status_code"] for d in data] == [200, 200, 401, 404, 200]
    assert body["request_counts"] == {"total": 5, "completed": 3, "failed": 2}
    answers = {
        d["custom_id"]: ChatCompletion.model_validate(d["response"]["body"])
        for d in data
        if d["response"]["status_code"] == 200
    }
    assert answers["vendor"].choices[0].message.content == "Teal."
    assert answers["vendor"].model == "openai/gpt-5-mini"
    assert answers["vendor"].usage is not None and answers["vendor"].usage.prompt_tokens == 1000
    assert answers["echo"].choices[0].message.content == "hi"
    assert answers["slow"].model == "mock/mock-slow-300"
    auth, nobody = data[2]["response"]["body"]["error"], data[3]["response"]["body"]["error"]
    assert (auth["type"], auth["code"]) == ("authentication_error", "invalid_api_key")
    assert (nobody["code"], nobody["param"]) == ("model_not_found", "model")
    assert all(d["error"] is None for d in data)
    assert len({d["response"]["request_id"] for d in data}) == 5  # each line is its own call
    assert openai_script.last("/chat/completions").body["model"] == "gpt-5-mini"


def test_the_openai_sdk_posts_a_batch_and_reads_its_answers(llm_server: ServiceProcess) -> None:
    client = OpenAI(base_url=f"{llm_server.url}/v1", api_key="unused", max_retries=0)
    result = client.post(
        "/batch/chat/completions",
        body={"requests": [line("a", "mock/mock-echo", "first"), line("b", "mock/mock-echo", "second")]},
        cast_to=object,
    )
    assert isinstance(result, dict)
    replies = [ChatCompletion.model_validate(d["response"]["body"]) for d in result["data"]]
    assert [r.choices[0].message.content for r in replies] == ["first", "second"]
    with pytest.raises(BadRequestError) as refused:
        client.post("/batch/chat/completions", body={"requests": []}, cast_to=object)
    assert refused.value.status_code == 400 and refused.value.param == "requests"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"requests": []}, "requests"),
        ({"requests": [line("a", "mock/mock-1"), line("a", "mock/mock-1")]}, "requests"),
        ({"requests": [line(f"i{n}", "mock/mock-1") for n in range(101)]}, "requests"),
        ({"requests": [line("a b", "mock/mock-1")]}, "requests[0].custom_id"),
        ({"requests": [line("a", "mock/mock-1", stream=True)]}, "requests[0].body"),
        ({"requests": [{**line("a", "mock/mock-1"), "url": "/v1/embeddings"}]}, "requests[0].url"),
        ({"requests": [{"custom_id": "a", "body": {"model": "mock/mock-1"}}]}, "requests[0].body.messages"),
        ({"requests": [line("a", "mock/mock-1", temperature=9)]}, "requests[0].body.temperature"),
        ({"requests": [line("a", "mock/mock-1")], "concurrency": 0}, "concurrency"),
    ],
)
def test_bad_batches_are_refused_naming_the_field(http: httpx.Client, body: dict, field: str) -> None:
    response = http.post(PATH, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == field, error

"""Bad input gets a structured error naming the problem, never a 500 or a stack trace, and loses nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ServiceProcess

OK_MESSAGES = [{"role": "user", "content": "hi"}]

CASES = [
    ("missing provider and model", {"messages": OK_MESSAGES}, 400, "invalid_request", "provider"),
    ("unknown provider", {"provider": "skynet", "messages": OK_MESSAGES}, 400, "invalid_request", "provider"),
    (
        "model with no known provider",
        {"model": "mystery-9", "messages": OK_MESSAGES},
        400,
        "invalid_request",
        "provider",
    ),
    (
        "unknown model at the vendor",
        {"provider": "openai", "model": "gpt-nonexistent", "messages": OK_MESSAGES},
        404,
        "model_not_found",
        None,
    ),
    (
        "unknown mock model by injection",
        {"provider": "mock", "model": "mock-fail-not-found", "messages": OK_MESSAGES},
        404,
        "model_not_found",
        None,
    ),
    ("messages missing", {"provider": "mock"}, 422, "invalid_request", "messages"),
    ("messages empty", {"provider": "mock", "messages": []}, 422, "invalid_request", "messages"),
    ("messages not a list", {"provider": "mock", "messages": "hello"}, 422, "invalid_request", "messages"),
    (
        "bad role",
        {"provider": "mock", "messages": [{"role": "robot", "content": "x"}]},
        422,
        "invalid_request",
        "messages[0].role",
    ),
    (
        "content missing",
        {"provider": "mock", "messages": [{"role": "user"}]},
        422,
        "invalid_request",
        "messages[0].content",
    ),
    (
        "content not text",
        {"provider": "mock", "messages": [{"role": "user", "content": 42}]},
        422,
        "invalid_request",
        "messages[0].content",
    ),
    (
        "max_tokens wrong type",
        {"provider": "mock", "messages": OK_MESSAGES, "max_tokens": "lots"},
        422,
        "invalid_request",
        "max_tokens",
    ),
    (
        "negative max_tokens",
        {"provider": "mock", "messages": OK_MESSAGES, "max_tokens": -5},
        422,
        "invalid_request",
        "max_tokens",
    ),
    (
        "temperature out of range",
        {"provider": "mock", "messages": OK_MESSAGES, "temperature": 7},
        422,
        "invalid_request",
        "temperature",
    ),
    (
        "too many stop sequences",
        {"provider": "mock", "messages": OK_MESSAGES, "stop": ["a", "b", "c", "d", "e"]},
        422,
        "invalid_request",
        "stop",
    ),
    (
        "unknown argument",
        {"provider": "mock", "messages": OK_MESSAGES, "max_token": 5},
        422,
        "invalid_request",
        "max_token",
    ),
    ("unconfigured provider", {"provider": "grok", "messages": OK_MESSAGES}, 401, "authentication", None),
]


@pytest.fixture
def http(llm_server: ServiceProcess):
    with httpx.Client(base_url=llm_server.url, timeout=10) as client:
        yield client


def assert_structured(response: httpx.Response, status: int, kind: str, field: str | None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert "Traceback" not in response.text
    error = response.json()["error"]
    assert error["type"] == kind and error["message"]
    if field is not None:
        assert error["field"] == field
    return error


@pytest.mark.parametrize(("name", "body", "status", "kind", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_arguments(
    http: httpx.Client, name: str, body: dict, status: int, kind: str, field: str | None
) -> None:
    assert_structured(http.post("/tools/complete", json=body), status, kind, field)


def test_empty_body_names_the_missing_field(http: httpx.Client) -> None:
    assert_structured(http.post("/tools/complete", content=b""), 422, "invalid_request", "messages")


@pytest.mark.parametrize("raw", [b"not json", b'{"messages": [', b"[1, 2, 3]", b'"just a string"'])
def test_body_that_is_not_a_json_object(http: httpx.Client, raw: bytes) -> None:
    assert_structured(http.post("/tools/complete", content=raw), 400, "invalid_request", "(body)")


def test_five_megabyte_body_is_refused_with_413(http: httpx.Client) -> None:
    huge = (
        b'{"provider": "mock", "messages": [{"role": "user", "content": "'
        + b"x" * (5 * 1024 * 1024)
        + b'"}]}'
    )
    assert_structured(http.post("/tools/complete", content=huge), 413, "invalid_request", None)


def test_unknown_tool(http: httpx.Client) -> None:
    error = assert_structured(http.post("/tools/teleport", json={}), 404, "invalid_request", None)
    assert "complete" in error["message"]


def test_estimate_tokens_needs_exactly_one_input(http: httpx.Client) -> None:
    assert_structured(
        http.post("/tools/estimate_tokens", json={"model": "gpt-5-mini"}), 422, "invalid_request", "(body)"
    )


def test_server_is_healthy_after_all_of_it(http: httpx.Client) -> None:
    assert http.get("/healthz").status_code == 200
    assert http.post("/tools/complete", json={"provider": "mock", "messages": OK_MESSAGES}).status_code == 200

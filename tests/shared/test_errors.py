"""The error taxonomy: types, HTTP statuses, wire shape, and that no credential survives in a message."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mcp_shared.errors import (
    AuthenticationError,
    ContextLengthExceededError,
    ErrorType,
    InternalError,
    InvalidRequestError,
    LLMProviderError,
    ModelNotFoundError,
    NotFoundError,
    PayloadTooLargeError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    QuotaExceededError,
    RateLimitError,
    ServiceError,
    error_from_payload,
)
from mcp_shared.models import CompletionRequest
from mcp_shared.redaction import redact, register_secret
from mcp_shared.validation import describe_validation_error

CONTRACT = [
    (InvalidRequestError, "invalid_request", 400),
    (NotFoundError, "invalid_request", 404),
    (PayloadTooLargeError, "invalid_request", 413),
    (AuthenticationError, "authentication", 401),
    (ModelNotFoundError, "model_not_found", 404),
    (RateLimitError, "rate_limit", 429),
    (ContextLengthExceededError, "context_length_exceeded", 413),
    (QuotaExceededError, "quota_exceeded", 429),
    (ProviderUnavailableError, "provider_unavailable", 502),
    (ProviderTimeoutError, "timeout", 504),
    (InternalError, "internal", 500),
]


@pytest.mark.parametrize(("cls", "kind", "status"), CONTRACT)
def test_each_error_has_its_contract_type_and_status(cls: type[ServiceError], kind: str, status: int) -> None:
    error = cls("something happened")
    assert error.to_payload()["error"]["type"] == kind
    assert error.status == status


def test_every_contract_type_is_covered() -> None:
    assert {kind for _, kind, _ in CONTRACT} == {t.value for t in ErrorType}


def test_payload_shape_and_retry_after() -> None:
    payload = RateLimitError("slow down", provider="openai", model="gpt-5-mini", retry_after=1.5).to_payload()
    assert payload == {
        "error": {
            "type": "rate_limit",
            "message": "slow down",
            "provider": "openai",
            "model": "gpt-5-mini",
            "retry_after": 1.5,
        }
    }
    assert "retry_after" not in AuthenticationError("no").to_payload()["error"]


def test_provider_errors_follow_the_seed_hierarchy() -> None:
    cause = RuntimeError("sdk")
    error = RateLimitError("x", provider="claude", model="m", original_error=cause, retry_after=2)
    assert isinstance(error, LLMProviderError)
    assert (error.provider, error.model, error.original_error, error.retry_after) == ("claude", "m", cause, 2)
    assert "original_error" not in error.to_payload()["error"]


@pytest.mark.parametrize(("cls", "_kind", "_status"), CONTRACT)
def test_wire_form_round_trips_to_the_same_type(cls: type[ServiceError], _kind: str, _status: int) -> None:
    rebuilt = error_from_payload(cls("boom", provider="p", model="m").to_payload())
    assert rebuilt.error_type == cls.error_type
    assert (rebuilt.message, rebuilt.provider, rebuilt.model) == ("boom", "p", "m")


def test_configured_secrets_and_key_shapes_are_redacted() -> None:
    secret = "configured-" + "secret-value-42"
    register_secret(secret)
    openai_shaped = "sk-" + "proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2"
    google_shaped = "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2m3n4"
    text = (
        f"rejected {secret} and {openai_shaped} and {google_shaped}; Authorization: Bearer abc.def.ghi12345"
    )
    cleaned = redact(text)
    for leaked in (secret, openai_shaped, google_shaped, "abc.def.ghi12345"):
        assert leaked not in cleaned
    assert secret not in AuthenticationError(f"bad key {secret}").to_payload()["error"]["message"]
    named = AuthenticationError("unknown", provider=secret, model=openai_shaped).to_payload()["error"]
    assert secret not in str(named) and openai_shaped not in str(named)


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("send 'Authorization: Bearer <key>'", "send 'Authorization: Bearer <key>'"),
        ("Authorization: Bearer", "Authorization: Bearer"),
        ("api_key=<your key>", "api_key=<your key>"),
        ("Authorization: Bearer tok3n-value-99", "Authorization: Bearer [REDACTED]"),
        ('{"Authorization": "Bearer tok3n-value-99"}', '{"Authorization": "Bearer [REDACTED]"}'),
        ("authorization: Basic dXNlcjpwYXNz", "authorization: Basic [REDACTED]"),
        ("Authorization: tok3n-value-99", "Authorization: [REDACTED]"),
        ("x-api-key: tok3n-value-99", "x-api-key: [REDACTED]"),
    ],
)
def test_help_text_survives_redaction_and_tokens_after_a_scheme_do_not(text: str, cleaned: str) -> None:
    assert redact(text) == cleaned


def test_validation_errors_name_every_field_without_echoing_values() -> None:
    with pytest.raises(ValidationError) as caught:
        CompletionRequest.model_validate(
            {"messages": [{"role": "robot", "content": "secret-prompt"}], "max_tokens": -5, "bogus": 1}
        )
    error = describe_validation_error(caught.value, subject="arguments")
    fields = {p["field"] for p in error.details["problems"]}
    assert {"messages[0].role", "max_tokens", "bogus"} <= fields
    assert error.status == 422
    assert "secret-prompt" not in error.message


def test_malformed_json_is_a_400() -> None:
    with pytest.raises(ValidationError) as caught:
        CompletionRequest.model_validate_json(b"{not json")
    assert describe_validation_error(caught.value, subject="body").status == 400

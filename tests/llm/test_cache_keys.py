"""Cache keys: every output-affecting parameter changes the key, nothing else does."""

from __future__ import annotations

import fnmatch

import pytest

from mcp_llm.gateway.cache import cache_key, invalidation_pattern
from mcp_shared.models import ChatMessage, CompletionRequest, GenerationParams, ModelRef

MESSAGES = [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hello")]
# Fields of CompletionRequest that are key components in their own right.
KEY_COMPONENTS = {"provider", "model", "messages", "organization_id"}
# Fields that never change what the model writes, so must never split the cache.
NON_OUTPUT_FIELDS = {
    "stream",
    "conversation_id",
    "fallbacks",
    "cache",
    "priority",
    "episode_id",
    "experiment",
    "idempotency_key",
    "prompt_cache",
    "compress",
}
"""``experiment`` too: the experiment stage replaces it by the variant's model and parameters, which are
in the key, before the cache stage runs. ``compress`` likewise: the compression stage rewrites the
messages, which are in the key, before the cache stage runs (``tests/llm/compression``)."""
OUTPUT_VARIATIONS = {
    "max_tokens": 99,
    "temperature": 0.1,
    "top_p": 0.5,
    "stop": ["END"],
    "response_format": {"type": "json_object"},
}


def request(**changes: object) -> CompletionRequest:
    base: dict[str, object] = {"provider": "openai", "model": "gpt-5-mini", "messages": MESSAGES}
    base.update(changes)
    return CompletionRequest.model_validate(base)


def key_of(req: CompletionRequest, organization: str = "org-a") -> str:
    """The key exactly as the pipeline derives it from a request."""
    return cache_key(organization, req.provider or "", req.model or "", req.messages, req.generation_params())


def test_every_request_field_is_classified() -> None:
    """A new request field must be declared output-affecting (in GenerationParams) or not."""
    classified = set(GenerationParams.model_fields) | KEY_COMPONENTS | NON_OUTPUT_FIELDS
    assert set(CompletionRequest.model_fields) == classified
    assert set(OUTPUT_VARIATIONS) == set(GenerationParams.model_fields)


@pytest.mark.parametrize(("field", "value"), sorted(OUTPUT_VARIATIONS.items()))
def test_output_affecting_parameter_changes_key(field: str, value: object) -> None:
    assert key_of(request(**{field: value})) != key_of(request())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stream", True),
        ("conversation_id", "c-1"),
        ("fallbacks", [ModelRef(provider="mock", model="mock-1")]),
        ("cache", False),
        ("priority", 5),
        ("episode_id", "e-1"),
    ],
)
def test_non_output_field_keeps_key(field: str, value: object) -> None:
    assert key_of(request(**{field: value})) == key_of(request())


@pytest.mark.parametrize(
    "messages",
    [
        [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hello!")],
        [ChatMessage(role="user", content="Be brief."), ChatMessage(role="user", content="Hello")],
        [ChatMessage(role="user", content="Hello"), ChatMessage(role="system", content="Be brief.")],
        [ChatMessage(role="user", content="Hello")],
    ],
)
def test_any_change_to_messages_changes_key(messages: list[ChatMessage]) -> None:
    assert key_of(request(messages=messages)) != key_of(request())


def test_each_json_schema_gets_its_own_key() -> None:
    def schema(kind: str) -> dict[str, object]:
        return {"type": "json_schema", "json_schema": {"name": "a", "schema": {"type": kind}}}

    assert key_of(request(response_format=schema("object"))) != key_of(
        request(response_format=schema("array"))
    )
    assert key_of(request(response_format=schema("object"))) == key_of(
        request(response_format=schema("object"))
    )


def test_provider_model_and_organization_change_key() -> None:
    base = key_of(request())
    assert key_of(request(provider="openai_compatible")) != base
    assert key_of(request(model="gpt-4.1")) != base
    assert key_of(request(), organization="org-b") != base


def test_key_follows_the_documented_layout() -> None:
    key = key_of(request(temperature=0.25))
    prefix, provider, model, organization, digest, temperature = key.split(":")
    assert (prefix, provider, model, organization, temperature) == (
        "llm",
        "openai",
        "gpt-5-mini",
        "org-a",
        "0.25",
    )
    assert len(digest) == 64


def test_separators_and_globs_in_names_cannot_collide() -> None:
    tagged = cache_key("org", "llama", "llama3:8b", MESSAGES, GenerationParams())
    plain = cache_key("org", "llama", "llama3", MESSAGES, GenerationParams())
    assert "llama3%3A8b" in tagged
    assert fnmatch.fnmatchcase(plain, invalidation_pattern("llama", "llama3", None))
    assert not fnmatch.fnmatchcase(tagged, invalidation_pattern("llama", "llama3", None))
    starred = cache_key("org", "openai", "gpt*", MESSAGES, GenerationParams())
    assert "*" not in starred.split(":")[2]


def test_invalidation_patterns_select_by_provider_model_and_organization() -> None:
    key = key_of(request())
    assert fnmatch.fnmatchcase(key, invalidation_pattern("openai", None, None))
    assert fnmatch.fnmatchcase(key, invalidation_pattern(None, "gpt-5-mini", None))
    assert fnmatch.fnmatchcase(key, invalidation_pattern(None, None, "org-a"))
    assert not fnmatch.fnmatchcase(key, invalidation_pattern("mock", None, None))
    assert not fnmatch.fnmatchcase(key, invalidation_pattern(None, None, "org-b"))


def test_an_unset_response_format_leaves_the_key_as_it_was_before_the_field() -> None:
    """Cache entries and evaluation recordings made before ``response_format`` existed keep matching."""
    import hashlib
    import json

    from mcp_llm.canonical import request_digest

    messages = [ChatMessage(role="user", content="2+3?")]
    params = GenerationParams(max_tokens=20, temperature=0.0)
    before = {
        "messages": [["user", "2+3?"]],
        "params": {"max_tokens": 20, "temperature": 0.0, "top_p": None, "stop": None},
    }
    expected = hashlib.sha256(json.dumps(before, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert request_digest(messages, params) == expected
    asked = GenerationParams(max_tokens=20, temperature=0.0, response_format={"type": "json_object"})
    assert request_digest(messages, asked) != expected

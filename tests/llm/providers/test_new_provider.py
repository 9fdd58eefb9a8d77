"""Adding a provider that speaks the OpenAI wire format takes one registry entry and nothing else:
configured from its own environment variables, resolved by name and model prefix, called over HTTP
(a fake OpenAI upstream, driven through the official SDK), answered, streamed, priced and accounted."""

from __future__ import annotations

import pytest

from mcp_llm.providers.base import ProviderProfile
from mcp_llm.providers.registry import PROVIDERS, ProviderEntry
from mcp_llm.service import LLMService
from mcp_llm.settings import LLMSettings
from mcp_shared.models import CompletionRequest
from mcp_shared.server.tools import CallContext, StreamEvent
from tests.fakes.server import FakeServer, Script

NEW_KEY = "fixture-newcomer-key-" + "2468ace013579bdf"  # built so no key-shaped literal is tracked

NEWCOMER = ProviderEntry(
    "newcomer",
    "A new OpenAI-wire vendor",
    "openai",
    api_key_env=("NEWCOMER_API_KEY",),
    base_url_env="NEWCOMER_BASE_URL",
    pricing_id="openai",
    profile=ProviderProfile(default_model="gpt-5-mini", max_tokens_field="max_completion_tokens"),
    aliases=("new",),
    model_prefixes=("newcomer-",),
)


def ask(**fields: object) -> CompletionRequest:
    return CompletionRequest.model_validate({"messages": [{"role": "user", "content": "hi"}], **fields})


async def test_a_new_openai_wire_provider_is_one_registry_entry(
    fake_openai: tuple[FakeServer, Script], openai_script: Script, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _ = fake_openai
    monkeypatch.setenv("NEWCOMER_API_KEY", NEW_KEY)
    monkeypatch.setenv("NEWCOMER_BASE_URL", f"{server.url}/v1")
    svc = LLMService(LLMSettings(_env_file=None), providers=(*PROVIDERS, NEWCOMER))  # type: ignore[call-arg]
    await svc.start()
    try:
        assert svc.providers.is_configured("newcomer")
        assert svc.providers.canonical("new") == "newcomer"

        answer = await svc.gateway.complete(
            ask(provider="new", max_tokens=40, cache=False),
            CallContext(transport="http", organization_id="acme"),
        )
        assert (answer.provider, answer.model) == ("newcomer", "gpt-5-mini")
        assert answer.content == "Hello from the fake OpenAI API."
        assert answer.usage.total_tokens > 0 and answer.cost_usd > 0  # priced through its pricing id
        sent = openai_script.last("/chat/completions")
        assert sent.headers["authorization"] == f"Bearer {NEW_KEY}"
        assert sent.body["max_completion_tokens"] == 40  # its profile's quirk, typed

        chunks: list[str] = []

        async def collect(event: StreamEvent) -> None:
            chunks.append(event.text or "")

        streamed = await svc.gateway.stream(
            ask(provider="newcomer", model="gpt-5-mini", cache=False),
            CallContext(transport="http", organization_id="acme", emit=collect),
        )
        assert "".join(chunks) == streamed.content == "Hello from the fake OpenAI API."
    finally:
        await svc.stop()


async def test_an_entry_without_its_credentials_is_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWCOMER_API_KEY", raising=False)
    svc = LLMService(LLMSettings(_env_file=None), providers=(*PROVIDERS, NEWCOMER))  # type: ignore[call-arg]
    assert not svc.providers.is_configured("newcomer")
    assert "NEWCOMER_API_KEY" in NEWCOMER.credentials

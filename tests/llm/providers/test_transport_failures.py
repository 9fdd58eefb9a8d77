"""Every SDK-backed adapter reports a vendor it cannot reach as provider_unavailable (Ollama has its own
wording, tested with its adapter)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from mcp_llm.providers.anthropic_messages import AnthropicProvider
from mcp_llm.providers.base import LLMProvider, ProviderConfig, ProviderRequest
from mcp_llm.providers.gemini_genai import GeminiProvider
from mcp_llm.providers.openai_wire import OpenAIChatProvider
from mcp_shared.errors import ProviderUnavailableError
from mcp_shared.models import ChatMessage, GenerationParams
from tests.fakes.server import free_port

ADAPTERS = [
    (OpenAIChatProvider, "openai", "/v1"),
    (AnthropicProvider, "claude", ""),
    (GeminiProvider, "gemini", ""),
]


@pytest.mark.parametrize(("adapter_class", "key", "path"), ADAPTERS, ids=[a[1] for a in ADAPTERS])
async def test_unreachable_vendor_is_unavailable(
    adapter_class: type[LLMProvider], key: str, path: str
) -> None:
    adapter = adapter_class(
        ProviderConfig(key=key, api_key=SecretStr("k"), base_url=f"http://127.0.0.1:{free_port()}{path}")
    )
    request = ProviderRequest("some-model", (ChatMessage(role="user", content="hi"),), GenerationParams())
    with pytest.raises(ProviderUnavailableError, match="could not reach"):
        await adapter.complete(request)
    await adapter.aclose()

"""Provider names, aliases, model-name prefixes and per-vendor configuration from settings."""

from __future__ import annotations

import pytest

from mcp_llm.providers.registry import DASHSCOPE_REGIONS, ProviderRegistry
from mcp_llm.settings import LLMSettings
from mcp_shared.errors import AuthenticationError


def registry(**env: str) -> ProviderRegistry:
    return ProviderRegistry(LLMSettings(_env_file=None, **env))  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("anthropic", "claude"),
        ("google", "gemini"),
        ("ollama", "llama"),
        ("xai", "grok"),
        ("dashscope", "qwen"),
    ],
)
def test_aliases(name: str, key: str) -> None:
    assert registry().canonical(name) == key
    assert registry().canonical(name.upper()) == key


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("claude-sonnet-4-6", "claude"),
        ("gemini-2.5-flash", "gemini"),
        ("llama3.2", "llama"),
        ("grok-4.3", "grok"),
        ("qwen-plus", "qwen"),
        ("gpt-5-mini", "openai"),
    ],
)
def test_model_names_identify_their_provider(model: str, key: str) -> None:
    assert registry().infer(model) == key


def test_vendor_credentials_configure_each_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "a-key")
    monkeypatch.setenv("GEMINI_API_KEY", "g-key")
    monkeypatch.setenv("LLAMA_ENDPOINT", "http://gpu-box:11434")
    configured = registry()
    assert all(configured.is_configured(k) for k in ("claude", "gemini", "llama"))
    assert configured.config("llama").base_url == "http://gpu-box:11434"
    assert configured.config("gemini").secret() == "g-key"


def test_use_local_llm_points_llama_at_localhost() -> None:
    assert not registry().is_configured("llama")
    local = registry(use_local_llm="true")
    assert local.is_configured("llama") and local.config("llama").base_url == "http://localhost:11434"
    explicit = registry(use_local_llm="true", ollama_endpoint="http://10.0.0.5:11434")
    assert explicit.config("llama").base_url == "http://10.0.0.5:11434"


@pytest.mark.parametrize("region", ["intl", "us", "cn", "hk"])
def test_dashscope_region_selects_the_compatible_mode_url(region: str) -> None:
    assert registry(dashscope_region=region).config("qwen").base_url == DASHSCOPE_REGIONS[region]
    assert DASHSCOPE_REGIONS[region].endswith("/compatible-mode/v1")


def test_dashscope_base_url_wins_over_the_region() -> None:
    chosen = registry(dashscope_region="cn", dashscope_base_url="https://proxy.example/compatible-mode/v1")
    assert chosen.config("qwen").base_url == "https://proxy.example/compatible-mode/v1"


def test_grok_speaks_openai_wire_at_xai() -> None:
    config = registry().config("grok")
    assert config.base_url == "https://api.x.ai/v1"
    assert config.profile.max_tokens_field == "max_completion_tokens"


@pytest.mark.parametrize(
    ("key", "setting"),
    [("claude", "ANTHROPIC_API_KEY"), ("gemini", "GOOGLE_API_KEY"), ("llama", "OLLAMA_ENDPOINT")],
)
def test_unconfigured_provider_is_an_authentication_error_naming_its_settings(key: str, setting: str) -> None:
    with pytest.raises(AuthenticationError, match=setting):
        registry().get(key)

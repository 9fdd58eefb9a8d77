"""Which providers exist, what they are called, how each is configured, and lazy construction.

An adapter's module (and so its vendor SDK) is imported the first time the provider is used:
start-up stays fast and a missing optional SDK breaks only its own provider.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from mcp_llm.providers.base import LLMProvider, ProviderConfig
from mcp_llm.settings import LLMSettings
from mcp_shared.errors import AuthenticationError, InvalidRequestError, ProviderUnavailableError

logger = logging.getLogger(__name__)

OPENAI_WIRE = "mcp_llm.providers.openai_wire:OpenAIChatProvider"
OLLAMA_LOCAL_ENDPOINT = "http://localhost:11434"

DASHSCOPE_REGIONS = {
    "intl": "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    "us": "https://dashscope-us.aliyuncs.com/compatible-mode/v1",
    "cn": "https://dashscope.aliyuncs.com/compatible-mode/v1",
    "hk": "https://cn-hongkong.dashscope.aliyuncs.com/compatible-mode/v1",
}
"""DashScope's compatible-mode (OpenAI wire) URL per region, from Model Studio's Base URL overview."""


@dataclass(frozen=True, slots=True)
class ProviderEntry:
    """Static facts about one provider key."""

    key: str
    title: str
    adapter: str
    """``module:Class`` of the adapter, imported on first use."""
    configure: Callable[[LLMSettings], ProviderConfig]
    aliases: tuple[str, ...] = ()
    model_prefixes: tuple[str, ...] = ()
    """Model-name prefixes that identify this provider when a call names no provider."""
    credentials: str = ""
    """The settings that configure it, for humans."""


def _config(s: LLMSettings, key: str, **fields: object) -> ProviderConfig:
    """A provider config carrying the gateway-wide timeout and pool size."""
    return ProviderConfig(
        key=key,
        timeout=s.provider_timeout,
        max_connections=s.provider_max_connections,
        **fields,  # type: ignore[arg-type]
    )


def _openai(s: LLMSettings) -> ProviderConfig:
    return _config(
        s,
        "openai",
        api_key=s.openai_api_key,
        base_url=s.openai_base_url,
        enabled=s.openai_api_key is not None,
        options={
            "default_model": "gpt-5-mini",
            "max_tokens_field": "max_completion_tokens",
            "reasoning_models": True,
            "organization": s.openai_organization,
        },
    )


def _openai_compatible(s: LLMSettings) -> ProviderConfig:
    return _config(
        s,
        "openai_compatible",
        api_key=s.openai_compatible_api_key,
        base_url=s.openai_compatible_base_url,
        enabled=s.openai_compatible_base_url is not None,
        options={
            "default_model": s.openai_compatible_models[0] if s.openai_compatible_models else "default",
            "max_tokens_field": "max_tokens",
            "served_windows": True,
        },
    )


def _grok(s: LLMSettings) -> ProviderConfig:
    return _config(
        s,
        "grok",
        api_key=s.xai_api_key,
        base_url=s.xai_base_url,
        enabled=s.xai_api_key is not None,
        options={"default_model": "grok-4-1-fast-non-reasoning", "max_tokens_field": "max_completion_tokens"},
    )


def _qwen(s: LLMSettings) -> ProviderConfig:
    base_url = s.dashscope_base_url or DASHSCOPE_REGIONS.get(s.dashscope_region, DASHSCOPE_REGIONS["intl"])
    return _config(
        s,
        "qwen",
        api_key=s.dashscope_api_key,
        base_url=base_url,
        enabled=s.dashscope_api_key is not None,
        options={"default_model": "qwen-plus", "max_tokens_field": "max_tokens"},
    )


def _claude(s: LLMSettings) -> ProviderConfig:
    return _config(
        s,
        "claude",
        api_key=s.anthropic_api_key,
        base_url=s.anthropic_base_url,
        enabled=s.anthropic_api_key is not None,
        options={"default_model": "claude-sonnet-5-5"},
    )


def _gemini(s: LLMSettings) -> ProviderConfig:
    return _config(
        s,
        "gemini",
        api_key=s.google_api_key,
        base_url=s.gemini_base_url,
        enabled=s.google_api_key is not None,
        options={"default_model": "gemini-3.8-flash"},
    )


def _llama(s: LLMSettings) -> ProviderConfig:
    endpoint = s.ollama_endpoint or (OLLAMA_LOCAL_ENDPOINT if s.use_local_llm else None)
    return _config(
        s,
        "llama",
        base_url=endpoint,
        enabled=endpoint is not None,
        options={
            "default_model": "llama3.2",
            "num_ctx": s.ollama_num_ctx,
            "keep_alive": s.ollama_keep_alive,
        },
    )


def _mock(s: LLMSettings) -> ProviderConfig:
    return _config(
        s, "mock", enabled=True, options={"default_model": "mock-1", "latency_ms": s.mock_latency_ms}
    )


PROVIDERS: tuple[ProviderEntry, ...] = (
    ProviderEntry(
        "openai",
        "OpenAI",
        OPENAI_WIRE,
        _openai,
        model_prefixes=("gpt-", "chatgpt-", "o1", "o3", "o4"),
        credentials="OPENAI_API_KEY, optional OPENAI_BASE_URL",
    ),
    ProviderEntry(
        "claude",
        "Anthropic Claude",
        "mcp_llm.providers.anthropic_messages:AnthropicProvider",
        _claude,
        aliases=("anthropic",),
        model_prefixes=("claude-",),
        credentials="ANTHROPIC_API_KEY, optional ANTHROPIC_BASE_URL",
    ),
    ProviderEntry(
        "gemini",
        "Google Gemini",
        "mcp_llm.providers.gemini_genai:GeminiProvider",
        _gemini,
        aliases=("google",),
        model_prefixes=("gemini-",),
        credentials="GOOGLE_API_KEY (or GEMINI_API_KEY), optional GEMINI_BASE_URL",
    ),
    ProviderEntry(
        "llama",
        "Ollama (local models)",
        "mcp_llm.providers.ollama_native:OllamaProvider",
        _llama,
        aliases=("ollama",),
        model_prefixes=("llama",),
        credentials="OLLAMA_ENDPOINT (or LLAMA_ENDPOINT), or USE_LOCAL_LLM=true for localhost:11434",
    ),
    ProviderEntry(
        "grok",
        "xAI Grok",
        OPENAI_WIRE,
        _grok,
        aliases=("xai",),
        model_prefixes=("grok-",),
        credentials="XAI_API_KEY, optional XAI_BASE_URL",
    ),
    ProviderEntry(
        "qwen",
        "Alibaba Qwen (DashScope)",
        OPENAI_WIRE,
        _qwen,
        aliases=("dashscope",),
        model_prefixes=("qwen", "qwq-"),
        credentials="DASHSCOPE_API_KEY, optional DASHSCOPE_REGION or DASHSCOPE_BASE_URL",
    ),
    ProviderEntry(
        "openai_compatible",
        "OpenAI-compatible endpoint",
        OPENAI_WIRE,
        _openai_compatible,
        aliases=("openai-compatible",),
        credentials="OPENAI_COMPATIBLE_BASE_URL, optional OPENAI_COMPATIBLE_API_KEY",
    ),
    ProviderEntry(
        "mock",
        "Offline mock",
        "mcp_llm.providers.mock:MockProvider",
        _mock,
        model_prefixes=("mock-",),
        credentials="none",
    ),
)


class ProviderRegistry:
    """Resolves provider names and holds one adapter instance per provider for the process."""

    def __init__(self, settings: LLMSettings, entries: tuple[ProviderEntry, ...] = PROVIDERS) -> None:
        self.settings = settings
        self.entries = {e.key: e for e in entries}
        self._names = {name: e.key for e in entries for name in (e.key, *e.aliases)}
        self._configs = {e.key: e.configure(settings) for e in entries}
        self._instances: dict[str, LLMProvider] = {}

    def canonical(self, name: str) -> str:
        """The provider key for a key or alias (case-insensitive)."""
        key = self._names.get(name.strip().lower())
        if key is None:
            raise InvalidRequestError(
                f"unknown provider '{name}'; known providers: {', '.join(sorted(self.entries))}",
                provider=name,
                details={"field": "provider"},
            )
        return key

    def config(self, key: str) -> ProviderConfig:
        return self._configs[key]

    def is_configured(self, key: str) -> bool:
        return self._configs[key].enabled

    def infer(self, model: str) -> str | None:
        """The provider a model name belongs to, from its prefix, or None if it is ambiguous."""
        lowered = model.lower()
        for entry in self.entries.values():
            if entry.model_prefixes and lowered.startswith(entry.model_prefixes):
                return entry.key
        return None

    def get(self, key: str) -> LLMProvider:
        """The adapter for a configured provider; an unconfigured one is an ``authentication`` error."""
        instance = self._instances.get(key)
        if instance is not None:
            return instance
        entry = self.entries[key]
        config = self._configs[key]
        if not config.enabled:
            raise AuthenticationError(
                f"provider '{key}' is not configured: set {entry.credentials}", provider=key
            )
        module_name, _, class_name = entry.adapter.partition(":")
        try:
            adapter_class = getattr(importlib.import_module(module_name), class_name)
        except ImportError as exc:
            raise ProviderUnavailableError(
                f"provider '{key}' cannot load its SDK ({exc.name}); install it to use this provider",
                provider=key,
            ) from exc
        instance = adapter_class(config)
        self._instances[key] = instance
        return instance

    def warm(self) -> None:
        """Load the adapters of configured providers now, so no caller pays an SDK import (up to a second)."""
        for key in self.entries:
            if self.is_configured(key):
                try:
                    self.get(key)
                except ProviderUnavailableError as exc:  # a missing SDK breaks only its own provider
                    logger.warning("provider %s unavailable: %s", key, exc.message)

    def default_model(self, key: str) -> str:
        """The model a call gets when it names none ('' when the provider has no sensible default)."""
        return str(self._configs[key].options.get("default_model", ""))

    async def aclose(self) -> None:
        for instance in self._instances.values():
            try:
                await instance.aclose()
            except Exception:  # closing must not stop the others from closing
                logger.warning("closing provider %s failed", instance.key, exc_info=True)
        self._instances.clear()

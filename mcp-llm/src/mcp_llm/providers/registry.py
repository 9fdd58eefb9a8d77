"""Which providers exist, what they are called, how each is configured, and lazy construction.

An adapter's module (and so its vendor SDK) is imported the first time the provider is used:
start-up stays fast and a missing optional SDK breaks only its own provider.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from pydantic import AliasChoices, SecretStr
from pydantic.fields import FieldInfo

from mcp_llm.providers.base import LLMProvider, ProviderConfig, ProviderProfile
from mcp_llm.providers.recording import Recording, RecordingProvider
from mcp_llm.settings import LLMSettings
from mcp_shared.errors import AuthenticationError, InvalidRequestError, ProviderUnavailableError
from mcp_shared.redaction import register_secret

logger = logging.getLogger(__name__)

Wire = Literal["openai", "anthropic", "gemini", "ollama", "mock"]

ADAPTERS: dict[Wire, str] = {
    "openai": "mcp_llm.providers.openai_wire:OpenAIChatProvider",
    "anthropic": "mcp_llm.providers.anthropic_messages:AnthropicProvider",
    "gemini": "mcp_llm.providers.gemini_genai:GeminiProvider",
    "ollama": "mcp_llm.providers.ollama_native:OllamaProvider",
    "mock": "mcp_llm.providers.mock:MockProvider",
}
"""The adapter (``module:Class``, imported on first use) of each wire format: a new format is one adapter
and its error table; a new provider on a known format is one ``ProviderEntry``."""

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
    """Everything the gateway knows about one provider, in one place.

    Credentials are named by their environment variables: the built-in providers' are typed fields of
    ``LLMSettings`` (a test checks they exist, and appear in ``.env.example``, the README's providers table
    and the compose file); a provider added by an entry alone reads them from the environment.
    """

    key: str
    title: str
    wire: Wire
    api_key_env: tuple[str, ...] = ()
    """The variable holding the API key, then any other names accepted for it."""
    base_url_env: str | None = None
    """The variable that points the provider at another endpoint (a proxy, a region, a fake)."""
    base_url: str | None = None
    """The endpoint used when ``base_url_env`` is unset (``None``: the SDK's own default)."""
    requires: Literal["api_key", "base_url", "nothing"] = "api_key"
    """What must be set for the provider to be configured."""
    pricing_id: str | None = None
    """Its provider id in genai-prices (``None``: prices are matched by model name across providers)."""
    in_genai_prices: bool = True
    """False: priced only from ``catalog/prices.json`` (genai-prices does not list it)."""
    free: bool = False
    """Calls cost nothing (local and offline providers)."""
    profile: ProviderProfile = field(default_factory=ProviderProfile)
    aliases: tuple[str, ...] = ()
    model_prefixes: tuple[str, ...] = ()
    """Model-name prefixes that identify this provider when a call names no provider."""
    settings_note: str = ""
    """Further settings, for humans (shown in ``llm://providers`` and errors)."""
    tune: Callable[[LLMSettings, ProviderConfig], ProviderConfig] | None = None
    """Settings beyond credentials and endpoint that shape its config (a region, a local default)."""

    @property
    def adapter(self) -> str:
        return ADAPTERS[self.wire]

    def env_names(self) -> tuple[str, ...]:
        return (*self.api_key_env, *((self.base_url_env,) if self.base_url_env else ()))

    @property
    def credentials(self) -> str:
        """The settings that configure it, for humans."""
        if not self.api_key_env and not self.base_url_env:
            return "none"
        parts = []
        if self.api_key_env:
            key = self.api_key_env[0] + (
                f" (or {', '.join(self.api_key_env[1:])})" if self.api_key_env[1:] else ""
            )
            parts.append(key if self.requires == "api_key" else f"optional {key}")
        if self.base_url_env:
            parts.append(
                self.base_url_env if self.requires == "base_url" else f"optional {self.base_url_env}"
            )
        if self.requires == "base_url":
            parts.reverse()
        text = ", ".join(parts)
        return f"{text}, {self.settings_note}" if self.settings_note else text


def _openai(s: LLMSettings, c: ProviderConfig) -> ProviderConfig:
    return replace(c, profile=replace(c.profile, organization=s.openai_organization))


def _openai_compatible(s: LLMSettings, c: ProviderConfig) -> ProviderConfig:
    models = s.openai_compatible_models
    default = models[0] if models else "default"
    return replace(c, profile=replace(c.profile, default_model=default, served_windows=True))


def _qwen(s: LLMSettings, c: ProviderConfig) -> ProviderConfig:
    if s.dashscope_base_url:
        return c
    return replace(c, base_url=DASHSCOPE_REGIONS.get(s.dashscope_region, DASHSCOPE_REGIONS["intl"]))


def _llama(s: LLMSettings, c: ProviderConfig) -> ProviderConfig:
    endpoint = c.base_url or (OLLAMA_LOCAL_ENDPOINT if s.use_local_llm else None)
    profile = replace(c.profile, num_ctx=s.ollama_num_ctx, keep_alive=s.ollama_keep_alive)
    return replace(c, base_url=endpoint, enabled=endpoint is not None, profile=profile)


def _mock(s: LLMSettings, c: ProviderConfig) -> ProviderConfig:
    return replace(c, profile=replace(c.profile, latency_ms=s.mock_latency_ms))


PROVIDERS: tuple[ProviderEntry, ...] = (
    ProviderEntry(
        "openai",
        "OpenAI",
        "openai",
        api_key_env=("OPENAI_API_KEY",),
        base_url_env="OPENAI_BASE_URL",
        pricing_id="openai",
        profile=ProviderProfile(
            default_model="gpt-5-mini",
            max_tokens_field="max_completion_tokens",
            reasoning_models=True,
            prompt_cache_key=True,
            summary_model="gpt-5-nano",
        ),
        model_prefixes=("gpt-", "chatgpt-", "o1", "o3", "o4"),
        settings_note="OPENAI_ORGANIZATION",
        tune=_openai,
    ),
    ProviderEntry(
        "claude",
        "Anthropic Claude",
        "anthropic",
        api_key_env=("ANTHROPIC_API_KEY",),
        base_url_env="ANTHROPIC_BASE_URL",
        pricing_id="anthropic",
        profile=ProviderProfile(default_model="claude-sonnet-5-5", summary_model="claude-haiku-4-5"),
        aliases=("anthropic",),
        model_prefixes=("claude-",),
    ),
    ProviderEntry(
        "gemini",
        "Google Gemini",
        "gemini",
        api_key_env=("GOOGLE_API_KEY", "GEMINI_API_KEY"),
        base_url_env="GEMINI_BASE_URL",
        pricing_id="google",
        profile=ProviderProfile(default_model="gemini-3.8-flash", summary_model="gemini-2.5-flash-lite"),
        aliases=("google",),
        model_prefixes=("gemini-",),
    ),
    ProviderEntry(
        "llama",
        "Ollama (local models)",
        "ollama",
        base_url_env="OLLAMA_ENDPOINT",
        requires="base_url",
        free=True,
        profile=ProviderProfile(default_model="llama3.2"),
        aliases=("ollama",),
        model_prefixes=("llama",),
        settings_note="LLAMA_ENDPOINT also accepted, or USE_LOCAL_LLM=true for localhost:11434",
        tune=_llama,
    ),
    ProviderEntry(
        "grok",
        "xAI Grok",
        "openai",
        api_key_env=("XAI_API_KEY",),
        base_url_env="XAI_BASE_URL",
        pricing_id="x-ai",
        profile=ProviderProfile(
            default_model="grok-4-1-fast-non-reasoning", max_tokens_field="max_completion_tokens"
        ),
        aliases=("xai",),
        model_prefixes=("grok-",),
    ),
    ProviderEntry(
        "qwen",
        "Alibaba Qwen (DashScope)",
        "openai",
        api_key_env=("DASHSCOPE_API_KEY",),
        base_url_env="DASHSCOPE_BASE_URL",
        in_genai_prices=False,
        profile=ProviderProfile(default_model="qwen-plus"),
        aliases=("dashscope",),
        model_prefixes=("qwen", "qwq-"),
        settings_note="DASHSCOPE_REGION",
        tune=_qwen,
    ),
    ProviderEntry(
        "openai_compatible",
        "OpenAI-compatible endpoint",
        "openai",
        api_key_env=("OPENAI_COMPATIBLE_API_KEY",),
        base_url_env="OPENAI_COMPATIBLE_BASE_URL",
        requires="base_url",
        aliases=("openai-compatible",),
        settings_note="OPENAI_COMPATIBLE_MODELS",
        tune=_openai_compatible,
    ),
    ProviderEntry(
        "mock",
        "Offline mock",
        "mock",
        requires="nothing",
        free=True,
        profile=ProviderProfile(default_model="mock-1", summary_model="mock-1"),
        model_prefixes=("mock-",),
        tune=_mock,
    ),
)


def setting(settings: LLMSettings, env: str) -> str | None:
    """The value of one environment-named setting: a typed ``LLMSettings`` field (or one of its aliases)
    when there is one, else the process environment (a provider added by a registry entry alone)."""
    name = env.lower()
    fields = type(settings).model_fields
    if name not in fields:
        name = next((n for n, info in fields.items() if env.lower() in _aliases(info)), "")
    if name:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        return None if value is None else str(value)
    return os.environ.get(env) or None


def _aliases(info: FieldInfo) -> tuple[str, ...]:
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice) for choice in alias.choices)
    return (alias,) if isinstance(alias, str) else ()


def configure(entry: ProviderEntry, settings: LLMSettings) -> ProviderConfig:
    """An entry's adapter config from settings: credentials, endpoint, gateway-wide timeout and pool size."""
    api_key = next((v for v in (setting(settings, env) for env in entry.api_key_env) if v), None)
    if api_key is not None:
        register_secret(api_key)  # never in a log line or an error, whichever way it was set
    base_url = (setting(settings, entry.base_url_env) if entry.base_url_env else None) or entry.base_url
    enabled = {"api_key": api_key is not None, "base_url": base_url is not None, "nothing": True}[
        entry.requires
    ]
    config = ProviderConfig(
        key=entry.key,
        api_key=SecretStr(api_key) if api_key is not None else None,
        base_url=base_url,
        timeout=settings.provider_timeout,
        max_connections=settings.provider_max_connections,
        enabled=enabled,
        profile=entry.profile,
    )
    return entry.tune(settings, config) if entry.tune is not None else config


class ProviderRegistry:
    """Resolves provider names and holds one adapter instance per provider for the process."""

    def __init__(self, settings: LLMSettings, entries: tuple[ProviderEntry, ...] = PROVIDERS) -> None:
        self.settings = settings
        self.entries = {e.key: e for e in entries}
        self._names = {name: e.key for e in entries for name in (e.key, *e.aliases)}
        self._configs = {e.key: configure(e, settings) for e in entries}
        self._instances: dict[str, LLMProvider] = {}
        self._recording = _recording(settings)

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
        if self._recording is not None:
            instance = RecordingProvider(instance, self._recording)
        self._instances[key] = instance
        return instance

    def warm(self) -> None:
        """Import the adapters (and so the vendor SDKs) of configured providers now, so no caller pays an
        SDK import (up to a second). Safe in a thread beside serving: it only imports; the adapter is
        built on first use, in the event loop."""
        for key in self.entries:
            if self.is_configured(key):
                module_name = self.entries[key].adapter.partition(":")[0]
                try:
                    importlib.import_module(module_name)
                except ImportError as exc:  # a missing SDK breaks only its own provider
                    logger.warning("provider %s unavailable: cannot load its SDK (%s)", key, exc.name)

    def default_model(self, key: str) -> str:
        """The model a call gets when it names none ('' when the provider has no sensible default)."""
        return self._configs[key].profile.default_model

    def summary_model(self, key: str) -> str:
        """A cheap model of the provider for the gateway's own summaries ('' when none is named)."""
        config = self._configs.get(key)
        return config.profile.summary_model if config is not None else ""

    def pricing_ids(self) -> dict[str, str | None]:
        """Each priced provider's genai-prices id (free providers are left out)."""
        return {e.key: e.pricing_id for e in self.entries.values() if e.in_genai_prices and not e.free}

    def free(self) -> frozenset[str]:
        return frozenset(e.key for e in self.entries.values() if e.free)

    async def aclose(self) -> None:
        for instance in self._instances.values():
            try:
                await instance.aclose()
            except Exception:  # closing must not stop the others from closing
                logger.warning("closing provider %s failed", instance.key, exc_info=True)
        self._instances.clear()


def _recording(settings: LLMSettings) -> Recording | None:
    """The recording every adapter answers from (LLM_REPLAY_DIR) or writes to (LLM_RECORD_DIR), if any."""
    if settings.llm_replay_dir is not None:
        return Recording(settings.llm_replay_dir, "replay")
    if settings.llm_record_dir is not None:
        return Recording(settings.llm_record_dir, "record")
    return None

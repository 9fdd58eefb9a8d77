"""Every mcp-llm setting in one typed object, read once from the environment and ``.env``."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr

from mcp_shared.redaction import register_secret
from mcp_shared.settings import CsvList, ServiceSettings


class LLMSettings(ServiceSettings):
    """Configuration of the LLM gateway; names match the environment variables (case-insensitive)."""

    mcp_port: int = Field(default=5001, ge=1, le=65535)

    # Provider credentials and operator-chosen endpoints (never the caller's).
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_organization: str | None = None
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    google_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("google_api_key", "gemini_api_key")
    )
    gemini_base_url: str | None = None
    ollama_endpoint: str | None = Field(
        default=None, validation_alias=AliasChoices("ollama_endpoint", "llama_endpoint")
    )
    use_local_llm: bool = Field(
        default=False, description="Enable the llama (Ollama) provider at localhost by default."
    )
    ollama_num_ctx: int | None = Field(
        default=None,
        ge=256,
        description="Context window Ollama loads models with (its own default if unset).",
    )
    ollama_keep_alive: str | None = Field(
        default=None, description="How long Ollama keeps a model loaded after a call (e.g. 5m, 1h)."
    )
    xai_api_key: SecretStr | None = None
    xai_base_url: str = "https://api.x.ai/v1"
    dashscope_api_key: SecretStr | None = None
    dashscope_region: str = Field(
        default="intl", description="intl (Singapore), us (Virginia), cn (Beijing) or hk (Hong Kong)."
    )
    dashscope_base_url: str | None = None
    openai_compatible_base_url: str | None = None
    openai_compatible_api_key: SecretStr | None = None
    openai_compatible_models: CsvList = Field(
        default_factory=list,
        description="Models served by the OpenAI-compatible endpoint, listed by list_models.",
    )
    mock_latency_ms: float = Field(default=0.0, ge=0.0, description="Delay the mock provider adds per call.")

    # Provider calls.
    provider_timeout: float = Field(default=120.0, gt=0, description="Seconds to wait for a provider answer.")
    provider_max_connections: int = Field(default=200, ge=1)

    # Cache.
    redis_url: str | None = None
    cache_ttl: int = Field(default=3600, ge=1)
    cache_enabled: bool = True
    cache_max_temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    cache_skip_providers: CsvList = Field(default_factory=list)
    cache_max_entries: int = Field(default=10_000, ge=1, description="Size bound of the in-process cache.")
    redis_timeout: float = Field(
        default=0.5, gt=0, description="Seconds per Redis operation before giving up."
    )
    redis_retry_interval: float = Field(
        default=1.0, gt=0, description="Seconds to skip Redis after a failure."
    )

    # Conversations.
    conversation_ttl: int = Field(default=86_400, ge=60)
    conversation_max_exchanges: int = Field(default=200, ge=1)

    # Retries.
    retry_max_attempts: int = Field(default=3, ge=1, le=10)
    retry_initial_wait: float = Field(default=0.5, ge=0.0)
    retry_max_wait: float = Field(default=10.0, ge=0.0)

    def register_secrets(self) -> None:
        """Tell the redactor every configured credential, so none can reach a log line or an error."""
        for secret in (
            self.openai_api_key,
            self.anthropic_api_key,
            self.google_api_key,
            self.xai_api_key,
            self.dashscope_api_key,
            self.openai_compatible_api_key,
        ):
            if secret is not None:
                register_secret(secret.get_secret_value())

"""The provider interface every adapter implements.

An adapter speaks one vendor wire format and translates the vendor's errors into the gateway's
taxonomy; caching, retries, fallbacks and accounting happen around it, never inside it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, SecretStr

from mcp_llm.providers.argument_errors import guard
from mcp_llm.tokens import TokenCount
from mcp_shared.errors import ProviderUnavailableError
from mcp_shared.models import ChatMessage, FinishReason, GenerationParams, StreamChunk, Usage

if TYPE_CHECKING:
    import httpx2


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    """What sets a provider's API apart, typed (after pydantic-ai's ``ModelProfile``): adapters read these
    fields, never string keys, so a misspelt quirk is a type error rather than a silent default."""

    default_model: str = ""
    """The model a call gets when it names none ('' when the provider has no sensible default)."""
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    """Which field an OpenAI-wire endpoint reads the output bound from."""
    reasoning_models: bool = False
    """OpenAI-wire: the vendor's reasoning models reject sampling parameters and report reasoning tokens."""
    organization: str | None = None
    """OpenAI: the ``OpenAI-Organization`` header."""
    prompt_cache_key: bool = False
    """OpenAI-wire: the endpoint takes ``prompt_cache_key`` (others may reject unknown fields)."""
    num_ctx: int | None = None
    """Ollama: the context window models are loaded with."""
    keep_alive: str | None = None
    """Ollama: how long a model stays loaded after a call."""
    latency_ms: float = 0.0
    """Mock: the delay it adds per call."""
    served_windows: bool = False
    """OpenAI-wire, self-hosted: learn each model's context window from what the server reports."""
    summary_model: str = ""
    """A cheap model of this provider for the gateway's own summaries (prompt compression); '' uses the
    call's own model."""


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """What an adapter needs to reach its vendor; built from settings by the registry."""

    key: str
    api_key: SecretStr | None = None
    base_url: str | None = None
    timeout: float = 120.0
    max_connections: int = 200
    enabled: bool = True
    """False when required credentials or endpoints are missing."""
    profile: ProviderProfile = field(default_factory=ProviderProfile)

    def secret(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key is not None else None


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    """A resolved call: the model and messages plus the output-affecting parameters."""

    model: str
    messages: tuple[ChatMessage, ...]
    params: GenerationParams
    prompt_cache: bool = False
    """Mark the stable prefix for the vendor's prompt cache (``providers/prompt_cache.py``)."""


class ProviderResponse(BaseModel):
    """A complete answer, normalised."""

    content: str
    finish_reason: FinishReason
    usage: Usage
    model: str


class LiveModel(BaseModel):
    """A model a vendor reports live (from its models endpoint), with what it says about it."""

    id: str
    context_window: int | None = None
    max_output: int | None = None


VENDOR_CALLS = ("complete", "stream", "count_tokens", "list_live_models")
"""The methods that talk to a vendor; every adapter's are guarded against SDK argument errors."""


class LLMProvider(ABC):
    """Base class of every provider adapter."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Guard the vendor-facing methods an adapter defines (see ``argument_errors``), so no adapter
        can forget to: an SDK refusing the caller's input is ``invalid_request``, never ``internal``."""
        super().__init_subclass__(**kwargs)
        for name in VENDOR_CALLS:
            if name in cls.__dict__:
                setattr(cls, name, guard(cls.__dict__[name]))

    live_models_ttl: float | None = None
    """Seconds a live model list stays fresh, where a vendor's list changes faster than the default."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    @property
    def key(self) -> str:
        return self.config.key

    def pool_limits(self) -> httpx2.Limits:
        """Connection-pool bounds for this provider's HTTP client, from its config."""
        import httpx2  # the vendor SDKs' HTTP stack, loaded with them (not at start)

        return httpx2.Limits(
            max_connections=self.config.max_connections,
            max_keepalive_connections=self.config.max_connections,
        )

    def unfinished(self, model: str, what: str) -> ProviderUnavailableError:
        """The error for an answer or stream that ended without the vendor's sign that the model finished."""
        return ProviderUnavailableError(f"{self.key} {what}", provider=self.key, model=model)

    @property
    def configured(self) -> bool:
        """Whether credentials (or an endpoint) exist; an unconfigured provider answers ``authentication``."""
        return self.config.enabled

    @abstractmethod
    async def complete(self, request: ProviderRequest) -> ProviderResponse:
        """Answer in one piece."""

    @abstractmethod
    def stream(self, request: ProviderRequest) -> AsyncIterator[StreamChunk]:
        """Answer in pieces; the last chunk carries the finish reason and usage.

        A stream that ends without a finish reason must raise ``ProviderUnavailableError``.
        """

    async def count_tokens(self, model: str, messages: list[ChatMessage]) -> TokenCount | None:
        """The vendor's own count (its counting endpoint), or None where it has none."""
        return None

    async def list_live_models(self) -> list[LiveModel] | None:
        """The vendor's live model list, or None where it has none (the catalog is used alone)."""
        return None

    async def aclose(self) -> None:
        """Release connection pools."""
        return

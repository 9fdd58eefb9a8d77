"""Request and response models of the LLM gateway's contract.

Both services use them: mcp-llm validates its tool arguments with them, and mcp-debate's
client builds its calls and reads the answers with them. Field descriptions become the tool
schemas clients see, so they are written for the caller.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from mcp_shared.identifiers import (
    ConversationId,
    EpisodeId,
    ExperimentName,
    IdempotencyKey,
    ModelName,
    OrganizationId,
    ProviderName,
)

Role = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "length", "content_filter", "tool_calls", "error", "other"]

MAX_STOP_SEQUENCES = 4

MaxTokens = Annotated[int, Field(ge=1, le=1_000_000, description="Upper bound on generated tokens.")]
Temperature = Annotated[float, Field(ge=0.0, le=2.0, description="Sampling temperature.")]
TopP = Annotated[float, Field(gt=0.0, le=1.0, description="Nucleus sampling mass.")]
Priority = Annotated[int, Field(ge=-10, le=10, description="Queue priority: higher is served first.")]
MAX_FALLBACKS = 8


class ChatMessage(BaseModel):
    """One message of a conversation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role = Field(description="Who speaks: system, user or assistant.")
    content: str = Field(description="The message text.")


class ModelRef(BaseModel):
    """A provider and a model, as used in fallback chains."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: ProviderName | None = Field(
        default=None, description="Provider key; inferred from the model when omitted."
    )
    model: ModelName = Field(description="Model name as the provider knows it.")


class JsonSchemaSpec(BaseModel):
    """The schema an answer must follow (OpenAI's ``response_format.json_schema`` shape)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(default="answer", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    description: str | None = Field(default=None, max_length=2_000)
    json_schema: dict[str, Any] = Field(alias="schema", description="A JSON Schema (draft 2020-12).")
    strict: bool | None = None


class ResponseFormat(BaseModel):
    """Ask for JSON: any JSON object (``json_object``) or one following a schema (``json_schema``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["text", "json_object", "json_schema"] = "text"
    json_schema: JsonSchemaSpec | None = None

    @model_validator(mode="after")
    def _schema_with_its_type(self) -> ResponseFormat:
        if (self.type == "json_schema") != (self.json_schema is not None):
            raise ValueError("json_schema is given with type json_schema, and only then")
        return self

    def wants_json(self) -> bool:
        return self.type != "text"

    def schema_dict(self) -> dict[str, Any] | None:
        """The schema to follow, when one was given."""
        return self.json_schema.json_schema if self.json_schema is not None else None

    def wire(self) -> dict[str, Any]:
        """As OpenAI's wire format spells it."""
        return self.model_dump(by_alias=True, exclude_none=True)


class GenerationParams(BaseModel):
    """The parameters that change what a model writes; every one of them is part of the cache key."""

    model_config = ConfigDict(extra="forbid")

    max_tokens: MaxTokens = 1024
    temperature: Temperature = 0.7
    top_p: TopP | None = None
    stop: list[str] | None = Field(
        default=None, description="Up to 4 sequences that end the generation (a single string is accepted)."
    )
    response_format: ResponseFormat | None = Field(
        default=None,
        description="{type: json_object} for a JSON answer, or {type: json_schema, json_schema: {name, "
        "schema}} for one following a JSON Schema; sent to providers that support it, and whether the "
        "answer parses and validates is recorded as a quality signal.",
    )

    @field_validator("stop", mode="before")
    @classmethod
    def _stop_as_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [value]
        return value

    @field_validator("stop")
    @classmethod
    def _stop_bounds(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if len(value) > MAX_STOP_SEQUENCES:
            raise ValueError(f"at most {MAX_STOP_SEQUENCES} stop sequences are allowed")
        if any(not s for s in value):
            raise ValueError("stop sequences must not be empty")
        return value


CompressionMethod = Literal["none", "normalize", "drop", "summarize"]
MIN_TARGET_TOKENS = 16
MAX_TARGET_TOKENS = 2_000_000


class CompressOptions(BaseModel):
    """How ``compress`` shrinks a prompt before it is sent (the system prompt and the last user turn never
    change)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target_tokens: int | None = Field(
        default=None,
        ge=MIN_TARGET_TOKENS,
        le=MAX_TARGET_TOKENS,
        description="Shrink the prompt to at most this many tokens (the requested model's tokenizer) by "
        "summarising or dropping the oldest turns; omitted: whitespace and duplicates only.",
    )
    oldest_turns: Literal["summarize", "drop"] = Field(
        default="summarize",
        description="What happens to the oldest turns over the target: summarised by a cheap model "
        "(billed like any call) or dropped.",
    )


def compress_shorthand(cls: type, value: object) -> object:
    """``compress: true`` is ``{}`` (normalise only), ``false`` is no compression."""
    if value is True:
        return {}
    if value is False:
        return None
    return value


class CompressionReport(BaseModel):
    """What ``compress`` did to the prompt."""

    tokens_before: int = Field(
        description="Prompt tokens as sent by the caller (requested model's tokenizer)."
    )
    tokens_after: int = Field(description="Prompt tokens after compression, as sent to the model.")
    method: CompressionMethod = Field(
        description="The strongest step applied: none, normalize (whitespace and duplicates), drop or "
        "summarize (oldest turns)."
    )
    target_tokens: int | None = None
    target_met: bool = Field(description="False when even the protected messages exceed target_tokens.")
    removed_messages: int = Field(default=0, description="Messages dropped or folded into the summary.")
    summary_cost_usd: float = Field(default=0.0, description="Cost of the summary call (also in usage).")
    summary_request_id: str | None = None


class CompletionRequest(GenerationParams):
    """Arguments of ``complete`` and ``stream_complete`` (flat, no wrapper object)."""

    provider: ProviderName | None = Field(
        default=None,
        description="Provider key (openai, claude, gemini, llama, grok, qwen, openai_compatible, mock) "
        "or an alias; may be left out when the model name identifies it.",
    )
    model: ModelName | None = Field(
        default=None, description="Model name; the provider's default model when omitted."
    )
    messages: Annotated[list[ChatMessage], Field(min_length=1)] = Field(
        description="The conversation: [{role: system|user|assistant, content}], at least one message."
    )
    stream: bool = Field(default=False, description="Ignored by complete; stream_complete always streams.")
    organization_id: OrganizationId | None = Field(
        default=None,
        description="Organization the call is billed to (ignored when the server authenticates callers).",
    )
    conversation_id: ConversationId | None = Field(
        default=None, description="Groups exchanges; readable at llm://conversations/{id}."
    )
    fallbacks: list[ModelRef] = Field(
        default_factory=list,
        max_length=MAX_FALLBACKS,
        description="Ordered fallback hops: [{provider, model}].",
    )
    cache: bool = Field(default=True, description="Set false to bypass the response cache for this call.")
    prompt_cache: bool = Field(
        default=True,
        description="Set false to keep the vendor's prompt cache off (no cache markers, no cache key).",
    )
    compress: CompressOptions | None = Field(
        default=None,
        description="Opt-in prompt compression: true (whitespace and duplicate content only) or "
        "{target_tokens, oldest_turns}; the answer's compression field reports tokens before and after.",
    )
    priority: Priority = 0
    idempotency_key: IdempotencyKey | None = Field(
        default=None,
        description="Makes the call safe to repeat: within the window, the same key and request get the "
        "first answer back (replayed: true) without calling or billing the provider again; the same key "
        "with a different request is an invalid_request.",
    )
    episode_id: EpisodeId | None = Field(
        default=None,
        description="Groups several calls (one debate, one conversation): an experiment assigns every "
        "call of an episode to the same variant, and feedback may name the episode.",
    )
    experiment: ExperimentName | None = Field(
        default=None,
        description="Join this configured experiment (like model='experiment/<name>'): the variant "
        "assigned to the episode (else the organization) chooses provider, model and parameters.",
    )

    _compress_shorthand = field_validator("compress", mode="before")(compress_shorthand)

    def generation_params(self) -> GenerationParams:
        """The output-affecting subset of this request."""
        return GenerationParams(
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            stop=self.stop,
            response_format=self.response_format,
        )


class Usage(BaseModel):
    """Token counts of one call, normalised across providers."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_tokens(self) -> int:
        """Input plus output, derived (never stored, so it cannot disagree); still sent on the wire."""
        return self.input_tokens + self.output_tokens

    @classmethod
    def of(cls, input_tokens: int, output_tokens: int, **extra: int) -> Usage:
        return cls(input_tokens=input_tokens, output_tokens=output_tokens, **extra)

    @classmethod
    def summed(cls, *usages: Usage) -> Usage:
        """Every count of several calls added up (cache reads and writes included)."""
        return cls(
            input_tokens=sum(u.input_tokens for u in usages),
            output_tokens=sum(u.output_tokens for u in usages),
            cache_read_tokens=sum(u.cache_read_tokens for u in usages),
            cache_write_tokens=sum(u.cache_write_tokens for u in usages),
            reasoning_tokens=sum(u.reasoning_tokens for u in usages),
        )


class HopOutcome(BaseModel):
    """What happened to one hop of the provider chain (the primary is hop 0)."""

    provider: str
    model: str
    outcome: Literal["answered", "failed", "skipped"]
    reason: str | None = None


class CompletionResponse(BaseModel):
    """Result of ``complete`` and the final result of ``stream_complete``."""

    content: str
    provider: str = Field(description="Provider that answered (after any fallback).")
    model: str = Field(description="Model that answered (after any fallback).")
    finish_reason: FinishReason
    usage: Usage
    cost_usd: float
    cached: bool = False
    cache_saving_usd: float = Field(
        default=0.0,
        description="What the vendor's prompt cache saved: the cost at the plain input rate minus cost_usd.",
    )
    latency_ms: float
    request_id: str
    requested_provider: str
    requested_model: str
    fallback_used: bool = False
    hops: list[HopOutcome] = Field(default_factory=list)
    conversation_id: str | None = None
    replayed: bool = Field(
        default=False,
        description="True when this is the kept answer of an earlier call with the same idempotency_key.",
    )
    experiment: str | None = Field(default=None, description="The experiment the call took part in.")
    variant: str | None = Field(default=None, description="The experiment's variant that answered.")
    compression: CompressionReport | None = Field(
        default=None, description="With compress: prompt tokens before and after, and how."
    )


class StreamChunk(BaseModel):
    """One piece of a streamed answer; the last one carries the finish reason and usage."""

    content: str = ""
    finish_reason: FinishReason | None = None
    usage: Usage | None = None

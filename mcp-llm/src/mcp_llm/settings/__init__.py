"""Every mcp-llm setting in one typed object, read once from the environment and ``.env``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from mcp_llm.settings.governance import QueueLimit, QuotaLimits
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
    llm_record_dir: Path | None = Field(
        default=None, description="Write every provider answer to <dir>/answers.jsonl (for replay)."
    )
    llm_replay_dir: Path | None = Field(
        default=None,
        description="Answer from <dir>/answers.jsonl instead of the providers; a request not in it fails.",
    )
    experiments_file: Path | None = Field(
        default=None, description="YAML or JSON file of A/B experiments (see the README's Experiments)."
    )
    feedback_ttl: int = Field(
        default=30 * 86_400, ge=60, description="Seconds a request can still be rated after it was answered."
    )
    feedback_max_requests: int = Field(
        default=100_000, ge=100, description="Requests remembered for feedback in process (without Redis)."
    )

    # Judged quality (off unless JUDGE_MODEL is set).
    judge_model: str | None = Field(
        default=None, description="Model that scores a sample of answers off the request path; unset: off."
    )
    judge_provider: str | None = Field(default=None, description="Provider of JUDGE_MODEL (else inferred).")
    judge_sample_rate: float = Field(
        default=0.1, ge=0.0, le=1.0, description="Fraction of answered calls the judge scores."
    )
    judge_rubric: str = Field(
        default="Score how well the answer serves the request: correct, complete, relevant and clear.",
        min_length=1,
        max_length=20_000,
        description="What the judge is told to score against.",
    )
    judge_metric: str | None = Field(
        default=None,
        description="A declared number or boolean metric (EXPERIMENTS_FILE) the scores are recorded under "
        "as feedback from source judge; unset: scores go to quality_report and metrics only.",
    )
    judge_queue_size: int = Field(
        default=100,
        ge=1,
        le=100_000,
        description="Answers waiting for the judge; more are dropped and counted.",
    )
    judge_organization: str = Field(
        default="operator",
        min_length=1,
        max_length=64,
        description="Organization billed for the judge's calls.",
    )
    quality_flush_interval: float = Field(
        default=1.0, gt=0, description="Seconds between writes of the quality totals to Redis."
    )

    # Provider calls.
    provider_timeout: float = Field(
        default=120.0,
        gt=0,
        description="Seconds an attempt may take to answer (a stream: each next chunk); every provider.",
    )
    provider_max_connections: int = Field(default=200, ge=1)

    # Cache.
    redis_url: str | None = Field(
        default=None,
        description="Redis for quotas, the usage ledger, circuits and conversations (and the cache, unless "
        "CACHE_REDIS_URL names another); unset: all in process.",
    )
    cache_redis_url: str | None = Field(
        default=None,
        description="A Redis of its own for the response cache, one that may evict (allkeys-lru) while "
        "REDIS_URL's must not; unset: the cache shares REDIS_URL.",
    )
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

    # Idempotent calls (idempotency_key, Idempotency-Key); on REDIS_URL when set.
    idempotency_ttl: int = Field(
        default=86_400, ge=1, description="Seconds a keyed call's answer is kept for replay."
    )
    idempotency_wait: float = Field(
        default=150.0,
        gt=0,
        description="Seconds a repeat waits for a call with its key still in flight (then 409); also how "
        "long a claim outlives a process that died holding it.",
    )
    idempotency_max_entries: int = Field(
        default=10_000, ge=1, description="Size bound of the in-process idempotency store."
    )

    # Prompt compression (the compress argument).
    compression_summary_model: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9._:/@+-]+$",
        description="provider/model that summarises the oldest turns for compress; unset: a cheap model of "
        "the requested provider (claude-haiku-4-5, gpt-5-nano, gemini-2.5-flash-lite, mock-1), else the "
        "requested model itself.",
    )
    compression_summary_max_tokens: int = Field(
        default=512, ge=32, le=8192, description="Upper bound of a compression summary, in tokens."
    )

    # Conversations.
    conversation_ttl: int = Field(default=86_400, ge=60)
    conversation_max_exchanges: int = Field(default=200, ge=1)
    conversation_max_per_organization: int = Field(
        default=1000, ge=1, description="Conversations kept per organization; its least recent go first."
    )

    # Retries.
    retry_max_attempts: int = Field(default=3, ge=1, le=10)
    retry_initial_wait: float = Field(default=0.5, ge=0.0)
    retry_max_wait: float = Field(default=10.0, ge=0.0)

    # Vendor batch jobs (submit_batch, get_batch, cancel_batch).
    batch_store_path: Path = Field(
        default=Path("data/batches.db"),
        description="SQLite file holding batch jobs when REDIS_URL is unset (with it, jobs live in Redis).",
    )
    batch_poll_interval: float = Field(
        default=30.0,
        gt=0,
        description="Seconds before a vendor batch job is first polled, and between polls.",
    )
    batch_poll_max_interval: float = Field(
        default=600.0, gt=0, description="Longest wait between polls of a job: the wait doubles up to it."
    )
    batch_max_items: int = Field(default=1000, ge=1, le=50_000, description="Most requests in one batch job.")
    batch_max_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, description="Largest batch job, its requests measured as JSON."
    )
    batch_max_jobs_per_org: int = Field(
        default=20, ge=1, description="Unfinished batch jobs an organization may have at once."
    )
    batch_fanout_concurrency: int = Field(
        default=4, ge=1, le=64, description="Requests in flight at once for a provider without a batch API."
    )

    # --- Governance: keys, quotas, usage, queues, health, fallbacks ----------------------------
    # AUTH_ENABLED, API_KEYS and METRICS_AUTH are common to both services (ServiceSettings).
    auth_admin_organizations: CsvList = Field(
        default_factory=list, description="Organizations whose keys may read every organization's usage."
    )
    auth_service_organizations: CsvList = Field(
        default_factory=list,
        description="Organizations whose keys may act for another organization by passing organization_id "
        "(a service such as mcp-debate billing each call to its own caller's organization).",
    )
    quotas: dict[str, QuotaLimits] = Field(
        default_factory=dict,
        description="JSON: {'default': {limits}, '<organization>': {limits}}; see QuotaLimits for the names.",
    )
    usage_retention_days: int = Field(default=400, ge=1, description="Days of usage kept for reports.")
    budget_alert_thresholds: Annotated[list[Annotated[int, Field(ge=1, le=1000)]], NoDecode] = Field(
        default_factory=lambda: [50, 80, 100],
        description="Percentages of a quota whose crossing alerts (comma-separated).",
    )
    alert_webhook_url: str | None = Field(
        default=None, description="Where budget alerts are POSTed (JSON, signed); unset: log and metric only."
    )
    alert_webhook_secret: SecretStr | None = Field(
        default=None, description="HMAC-SHA256 key of the X-Alert-Signature header of budget alert webhooks."
    )

    @field_validator("budget_alert_thresholds", mode="before")
    @classmethod
    def _split_thresholds(cls, value: object) -> object:
        return [part for part in value.split(",") if part.strip()] if isinstance(value, str) else value

    usage_flush_interval: float = Field(
        default=1.0, gt=0, description="Seconds between writes of buffered usage to Redis."
    )
    queue_concurrency: int = Field(default=64, ge=1, description="Calls in flight per provider.")
    queue_max_depth: int = Field(default=256, ge=0, description="Calls waiting per provider before 429.")
    queue_timeout: float = Field(default=30.0, gt=0, description="Seconds a call may wait for a slot.")
    queue_limits: dict[str, QueueLimit] = Field(
        default_factory=dict, description="JSON: per 'provider' or 'provider/model' overrides of the above."
    )
    circuit_failure_threshold: int = Field(
        default=5, ge=1, description="Consecutive failures that open a model's circuit."
    )
    circuit_cooldown: float = Field(
        default=30.0, gt=0, description="Seconds an open circuit waits before a half-open probe."
    )
    health_window: float = Field(
        default=300.0, gt=0, description="Seconds of calls behind the error rate and latency figures."
    )
    health_probe_interval: float = Field(
        default=0.0, ge=0, description="Seconds between active probes of each configured provider; 0: off."
    )
    metrics_max_unknown_models: int = Field(
        default=20,
        ge=0,
        le=10_000,
        description="Per provider, how many models outside the catalog, the configuration and the vendors' "
        "live lists get their own metric series; any further one is counted as 'other'.",
    )
    fallbacks: dict[str, list[str]] = Field(
        default_factory=dict,
        description="JSON: {'provider/model': ['provider/model', ...]} used when a call gives no fallbacks.",
    )

    def register_secrets(self) -> None:
        """Tell the redactor every configured credential, so none can reach a log line or an error."""
        for secret in (
            self.openai_api_key,
            self.anthropic_api_key,
            self.google_api_key,
            self.xai_api_key,
            self.alert_webhook_secret,
            self.dashscope_api_key,
            self.openai_compatible_api_key,
        ):
            if secret is not None:
                register_secret(secret.get_secret_value())

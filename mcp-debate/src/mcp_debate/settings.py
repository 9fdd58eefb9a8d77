"""Every mcp-debate setting in one typed object, read once from the environment and ``.env``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from mcp_shared.redaction import register_secret
from mcp_shared.settings import ServiceSettings


class DebateSettings(ServiceSettings):
    """Configuration of the debate service; names match the environment variables (case-insensitive)."""

    # A refused value is never repeated in the error: DATABASE_URL carries a password.
    model_config = SettingsConfigDict(**ServiceSettings.model_config, hide_input_in_errors=True)

    mcp_port: int = Field(default=5002, ge=1, le=65535)

    # Storage.
    database_path: Path = Field(
        default=Path("data/debates.db"), description="SQLite file; its folder is created when missing."
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="postgresql://user:password@host:port/db selects PostgreSQL (for several replicas); "
        "unset keeps the SQLite file at DATABASE_PATH.",
    )
    database_readers: int = Field(default=4, ge=1, le=64, description="Read connections kept open.")

    @field_validator("database_url")
    @classmethod
    def _postgresql_only(cls, value: SecretStr | None) -> SecretStr | None:
        """Only PostgreSQL is reached by URL; the message never repeats the URL (it holds a password)."""
        if value is not None and not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("DATABASE_URL must start with postgresql:// (SQLite is set with DATABASE_PATH)")
        return value

    # The link to mcp-llm.
    llm_service_url: str = Field(
        default="http://localhost:5001", description="mcp-llm's base URL (or its /mcp endpoint)."
    )
    llm_service_api_key: SecretStr | None = Field(
        default=None, description="Bearer key for mcp-llm when it requires one (its AUTH_ENABLED)."
    )
    llm_call_timeout: float = Field(
        default=600.0, gt=0, description="Seconds to wait for one mcp-llm call, its own retries included."
    )
    llm_max_connections: int = Field(
        default=256, ge=1, description="HTTP connections to mcp-llm: the most LLM calls in flight at once."
    )
    llm_retry_attempts: int = Field(
        default=3, ge=1, le=10, description="Attempts per mcp-llm call when mcp-llm cannot be reached."
    )
    llm_retry_initial_wait: float = Field(default=0.5, ge=0.0)
    llm_retry_max_wait: float = Field(default=10.0, ge=0.0)

    # Context windows.
    context_margin: float = Field(
        default=0.1, ge=0.0, le=0.5, description="Share of each participant's budget kept free."
    )
    context_verify_ratio: float = Field(
        default=0.7,
        ge=0.0,
        le=1.0,
        description="Contexts above this share of their budget are counted by mcp-llm before sending.",
    )

    # Runs.
    run_retry_window: float = Field(
        default=60.0,
        ge=0.0,
        description="Seconds a run keeps retrying a turn that fails for a passing reason (mcp-llm down); "
        "then the debate is failed, and resume_debate continues it.",
    )
    lease_duration: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a claim on a turn or a run stays valid without a heartbeat: how long a dead "
        "replica's debates wait before another replica takes them over.",
    )
    lease_heartbeat: float = Field(
        default=10.0,
        gt=0,
        description="Seconds between renewals of this process's leases (and looks for runs nobody drives); "
        "below LEASE_DURATION.",
    )
    resume_runs_on_start: bool = Field(
        default=True, description="Continue runs that were in progress when the service stopped."
    )
    deliberate_max_wait: float = Field(
        default=45.0,
        ge=0.0,
        le=3600.0,
        description="Seconds deliberate waits for a verdict; a debate still going then is returned by its id "
        "(MCP clients give up on a tool call after about a minute).",
    )

    # The evaluate tool.
    evaluation_dir: Path = Field(
        default=Path("data/evaluations"),
        description="Where the evaluate tool writes each evaluation's results and report (a folder per id).",
    )
    evaluation_max_running: int = Field(
        default=2, ge=1, le=64, description="Evaluations one organization may run at once."
    )
    evaluation_max_items: int = Field(
        default=2000, ge=1, le=100_000, description="Most items one evaluation of the evaluate tool may ask."
    )
    evaluation_keep: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="Finished evaluations of an organization that get_evaluation still answers for (the "
        "oldest are forgotten first; their folders stay).",
    )

    # The web page.
    web_session_ttl: float = Field(
        default=28800.0,
        ge=60.0,
        le=30 * 86400.0,
        description="Seconds a browser stays signed in to the web page after giving its API key.",
    )

    def register_secrets(self) -> None:
        """Tell the redactor the key to mcp-llm, so it can never reach a log line or an error."""
        if self.llm_service_api_key is not None:
            register_secret(self.llm_service_api_key.get_secret_value())

    @property
    def llm_mcp_url(self) -> str:
        """The MCP endpoint of mcp-llm, whether the setting names the base URL or the endpoint."""
        url = self.llm_service_url.rstrip("/")
        return url if url.endswith("/mcp") else f"{url}/mcp"

    @model_validator(mode="after")
    def _heartbeat_within_lease(self) -> DebateSettings:
        """A heartbeat slower than the lease would let live leases expire and turns run twice."""
        if self.lease_heartbeat >= self.lease_duration:
            raise ValueError("LEASE_HEARTBEAT must be below LEASE_DURATION")
        return self

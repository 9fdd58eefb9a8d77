"""Settings common to both services, read once from the environment and ``.env``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from mcp_shared.auth.keys import parse_entry


def split_csv(value: object) -> object:
    """Accept ``a,b,c`` from the environment as well as a real list."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


CsvList = Annotated[list[str], NoDecode, BeforeValidator(split_csv)]


class ServiceSettings(BaseSettings):
    """What every service needs: where to listen, how to log, how big a body may be, who may call."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    mcp_host: str = Field(default="127.0.0.1", description="Interface to listen on (0.0.0.0 in containers).")
    mcp_port: int = Field(default=5001, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="auto: readable lines when stderr is a terminal, one JSON object per line otherwise.",
    )
    max_body_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024, description="Largest accepted request body."
    )
    body_read_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a request body may take to arrive in full before a 408 (slow-client defence).",
    )
    mcp_allowed_hosts: CsvList = Field(
        default_factory=list,
        description="Host headers accepted on /mcp (DNS-rebinding protection), e.g. 'localhost:*,mcp-llm:*'.",
    )
    mcp_allowed_origins: CsvList = Field(default_factory=list, description="Origins accepted on /mcp.")

    # Authentication of HTTP callers (stdio is trusted).
    auth_enabled: bool = Field(
        default=False,
        description="Require 'Authorization: Bearer <key>' on /mcp, /tools and the service's own routes.",
    )
    api_keys: CsvList = Field(
        default_factory=list,
        validate_default=True,
        description="'organization:sha256:<hex>' per key (the SHA-256 of the key, never the key itself).",
    )
    metrics_auth: bool = Field(
        default=False, description="With AUTH_ENABLED, require a key on /metrics too (open by default)."
    )

    @field_validator("api_keys")
    @classmethod
    def _keys_are_hashes(cls, entries: list[str], info: ValidationInfo) -> list[str]:
        """Refuse a malformed entry (a key pasted in plain, say) at start-up, without echoing it."""
        for entry in entries:
            parse_entry(entry)
        if info.data.get("auth_enabled") and not entries:
            raise ValueError(
                "empty while AUTH_ENABLED is true, so no caller could get in "
                "(make a key with 'mcp-llm keygen --organization NAME')"
            )
        return entries

"""Settings common to both services, read once from the environment and ``.env``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def split_csv(value: object) -> object:
    """Accept ``a,b,c`` from the environment as well as a real list."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


CsvList = Annotated[list[str], NoDecode, BeforeValidator(split_csv)]


class ServiceSettings(BaseSettings):
    """What every service needs: where to listen, how to log, how big a body may be."""

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
    mcp_allowed_hosts: CsvList = Field(
        default_factory=list,
        description="Host headers accepted on /mcp (DNS-rebinding protection), e.g. 'localhost:*,mcp-llm:*'.",
    )
    mcp_allowed_origins: CsvList = Field(default_factory=list, description="Origins accepted on /mcp.")

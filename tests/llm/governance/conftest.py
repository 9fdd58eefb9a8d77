"""Fixtures for governance tests: runtime-made API keys, an in-process service, governed server processes.

Keys are generated when the tests run, so no key-shaped literal is tracked.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import pytest

from mcp_llm.service import LLMService
from mcp_llm.settings import LLMSettings
from mcp_shared.auth import generate_key, hash_key
from mcp_shared.models import CompletionRequest
from mcp_shared.server.tools import CallContext
from tests.conftest import ServiceProcess, llm_process


@dataclass(frozen=True)
class ApiKey:
    organization: str
    key: str

    @property
    def entry(self) -> str:
        return f"{self.organization}:{hash_key(self.key)}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def make_key(organization: str) -> ApiKey:
    return ApiKey(organization, generate_key())


def unique(prefix: str) -> str:
    """An organization name no other test uses (Redis is shared by the session)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def processes() -> Iterator[Callable[..., ServiceProcess]]:
    """Start mcp-llm processes with governance settings; every one is stopped (by PID) afterwards."""
    started: list[ServiceProcess] = []

    def start(**env: object) -> ServiceProcess:
        rendered = {k: v if isinstance(v, str) else json.dumps(v) for k, v in env.items()}
        proc = llm_process(**rendered).start()
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


def service(**overrides: object) -> LLMService:
    """An in-process mcp-llm with these settings (no .env, no server)."""
    return LLMService(LLMSettings(_env_file=None, **overrides))  # type: ignore[call-arg]


@pytest.fixture
async def make_service() -> AsyncIterator[Callable[..., LLMService]]:
    built: list[LLMService] = []

    async def build(**overrides: object) -> LLMService:
        svc = service(**overrides)
        await svc.start()
        built.append(svc)
        return svc

    yield build  # type: ignore[misc]
    for svc in built:
        await svc.stop()


def ask(content: str = "hello", **fields: object) -> CompletionRequest:
    fields.setdefault("model", "mock-1")
    return CompletionRequest.model_validate({"messages": [{"role": "user", "content": content}], **fields})


def http_call(organization: str | None = None) -> CallContext:
    return CallContext(transport="http", organization_id=organization)

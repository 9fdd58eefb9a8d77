"""mcp-llm processes whose OpenAI, Anthropic and Gemini endpoints are the vendor fakes (batch APIs
included), polling batch jobs every tenth of a second."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_OPENAI_KEY, ServiceProcess, llm_process
from tests.fakes.batches import reset_all
from tests.fakes.fixtures import *  # noqa: F403  (vendor fakes; pytest finds fixtures by name)
from tests.fakes.fixtures import TEST_ANTHROPIC_KEY, TEST_GOOGLE_KEY, Fake
from tests.fakes.server import FakeServer, Script

FAST_POLLS = {"BATCH_POLL_INTERVAL": "0.1", "BATCH_POLL_MAX_INTERVAL": "0.4"}


def vendor_env(
    fake_openai: tuple[FakeServer, Script], fake_anthropic: Fake, fake_gemini: Fake, **extra: str
) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": TEST_OPENAI_KEY,
        "OPENAI_BASE_URL": f"{fake_openai[0].url}/v1",
        "ANTHROPIC_API_KEY": TEST_ANTHROPIC_KEY,
        "ANTHROPIC_BASE_URL": fake_anthropic[0].url,
        "GEMINI_API_KEY": TEST_GOOGLE_KEY,
        "GEMINI_BASE_URL": fake_gemini[0].url,
        **FAST_POLLS,
        **extra,
    }


@pytest.fixture(autouse=True)
def _fresh_plans() -> Iterator[None]:
    reset_all()
    yield
    reset_all()


@pytest.fixture(scope="module")
def batch_server(
    fake_openai: tuple[FakeServer, Script], fake_anthropic: Fake, fake_gemini: Fake, tmp_path_factory
) -> Iterator[ServiceProcess]:
    """One mcp-llm on a SQLite job store, small bounds so tests can reach them."""
    store = Path(tmp_path_factory.mktemp("batches")) / "jobs.db"
    env = vendor_env(
        fake_openai,
        fake_anthropic,
        fake_gemini,
        BATCH_STORE_PATH=str(store),
        BATCH_MAX_ITEMS="5",
        BATCH_MAX_BYTES="8192",
        BATCH_MAX_JOBS_PER_ORG="2",
    )
    proc = llm_process(**env).start(timeout=90)
    yield proc
    proc.stop()


def call(server: ServiceProcess, tool: str, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{server.url}/tools/{tool}", json=body, headers=headers, timeout=30)


def wait_for_end(
    server: ServiceProcess, job_id: str, timeout: float = 30.0, key: str | None = None, **extra: str
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = call(server, "get_batch", {"id": job_id, **extra}, key)
        assert response.status_code == 200, response.text
        body = response.json()
        if body["state"] in ("completed", "failed", "expired", "cancelled"):
            return body
        time.sleep(0.1)
    raise TimeoutError(f"batch job {job_id} did not end")


def usage(server: ServiceProcess, organization: str) -> dict[str, Any]:
    response = call(server, "usage_report", {"organization_id": organization, "period": "today"})
    assert response.status_code == 200, response.text
    return response.json()

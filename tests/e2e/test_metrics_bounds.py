"""/metrics stays small whatever callers name: model, organization and tool labels are bounded.

Hundreds of made-up model names (answered, failing at the vendor, failing in the mock), made-up
organizations and made-up tools go to a real mcp-llm; the scrape afterwards holds a bounded number of
series, with the excess counted as model="other".
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import TEST_OPENAI_KEY, ServiceProcess, llm_process
from tests.fakes.server import FakeServer, Script

MAX_UNKNOWN = 5
USER = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def bounded_server(fake_openai: tuple[FakeServer, Script]) -> Iterator[ServiceProcess]:
    server, _ = fake_openai
    proc = llm_process(
        OPENAI_API_KEY=TEST_OPENAI_KEY,
        OPENAI_BASE_URL=f"{server.url}/v1",
        METRICS_MAX_UNKNOWN_MODELS=str(MAX_UNKNOWN),
        RETRY_MAX_ATTEMPTS="1",
    ).start()
    yield proc
    proc.stop()


def series(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


async def post_all(url: str, bodies: list[tuple[str, dict]]) -> list[int]:
    limit = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def one(path: str, body: dict) -> int:
            async with limit:
                return (await client.post(path, json=body)).status_code

        return await asyncio.gather(*(one(path, body) for path, body in bodies))


def test_hostile_names_leave_metrics_small(bounded_server: ServiceProcess, openai_script: Script) -> None:
    url = bounded_server.url
    warm = [
        ("/tools/complete", {"provider": "mock", "messages": USER}),
        ("/tools/complete", {"model": "gpt-5-mini", "messages": USER}),
    ]
    assert asyncio.run(post_all(url, warm)) == [200, 200]
    before = series(httpx.get(f"{url}/metrics").text)

    bodies: list[tuple[str, dict]] = []
    for i in range(300):  # answered by the mock, each under a new name and a new organization
        bodies.append(
            (
                "/tools/complete",
                {
                    "provider": "mock",
                    "model": f"made-up-{i}",
                    "messages": USER,
                    "organization_id": f"org-{i}",
                },
            )
        )
    for i in range(100):  # failing in the mock after its retries, each under a new name
        bodies.append(
            (
                "/tools/complete",
                {"provider": "mock", "model": f"mock-fail-server-error-{1000 + i}", "messages": USER},
            )
        )
    for i in range(100):  # refused by the vendor (404 from the fake OpenAI), each under a new name
        bodies.append(
            ("/tools/complete", {"provider": "openai", "model": f"gpt-made-up-{i}", "messages": USER})
        )
    for i in range(100):  # unknown tools never become labels
        bodies.append((f"/tools/made_up_tool_{i}", {}))
    statuses = asyncio.run(post_all(url, bodies))
    assert statuses.count(200) == 300
    assert statuses.count(502) == 100 and statuses.count(404) == 200

    long_names = [
        ("/tools/complete", {"provider": "mock", "model": f"{i}" + "x" * 100_000, "messages": USER})
        for i in range(10)
    ]
    assert set(asyncio.run(post_all(url, long_names))) == {422}

    scrape = httpx.get(f"{url}/metrics")
    after = series(scrape.text)
    grown = len(after) - len(before)
    # Per provider at most MAX_UNKNOWN named models plus "other", each with a few dozen series.
    assert grown < 2 * (MAX_UNKNOWN + 1) * 60, grown
    assert len(scrape.content) < 400_000
    assert 'model="other"' in scrape.text
    assert "made-up-299" not in scrape.text and "gpt-made-up-99" not in scrape.text
    assert "made_up_tool" not in scrape.text and "org-1" not in scrape.text
    named = {f"made-up-{i}" for i in range(300)} | {f"mock-fail-server-error-{1000 + i}" for i in range(100)}
    assert sum(f'model="{name}"' in scrape.text for name in named) <= MAX_UNKNOWN


def test_known_models_keep_their_names(bounded_server: ServiceProcess) -> None:
    text = httpx.get(f"{bounded_server.url}/metrics").text
    assert 'llm_requests_total{model="mock-1",outcome="ok",provider="mock"}' in text
    assert 'llm_requests_total{model="gpt-5-mini",outcome="ok",provider="openai"}' in text


def test_per_model_health_state_is_bounded(bounded_server: ServiceProcess) -> None:
    """Circuits and rolling figures keep the most recently used models only (2,048 of them)."""
    bodies = [
        ("/tools/complete", {"provider": "mock", "model": f"churn-{i}", "messages": USER, "cache": False})
        for i in range(2_600)
    ]
    assert set(asyncio.run(post_all(bounded_server.url, bodies))) == {200}
    report = httpx.post(f"{bounded_server.url}/tools/provider_health", json={"provider": "mock"}, timeout=30)
    models = {m["model"] for m in report.json()["providers"][0]["models"]}
    assert len(models) <= 2_048
    assert "churn-2599" in models and "churn-0" not in models  # the oldest are the ones forgotten

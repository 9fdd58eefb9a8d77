"""Automatic prompt caching end to end: the running mcp-llm against the fake Anthropic API, which bills
a repeated prefix as cache reads; the response prices them exactly and reports the saving."""

from __future__ import annotations

import uuid

import genai_prices
import httpx
import pytest

from tests.conftest import ServiceProcess
from tests.fakes.anthropic_cache import tokens
from tests.fakes.server import Script

MODEL = "claude-sonnet-4-6"


def genai_cost(input_tokens: int, output_tokens: int, read: int = 0, write: int = 0) -> float:
    usage = genai_prices.Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=read or None,
        cache_write_tokens=write or None,
    )
    return float(genai_prices.calc_price(usage, model_ref=MODEL, provider_id="anthropic").total_price)


@pytest.fixture
def http(vendors_server: ServiceProcess):
    with httpx.Client(base_url=vendors_server.url, timeout=20) as client:
        yield client


def chat(system: str, *turns: str) -> list[dict[str, str]]:
    roles = ["user", "assistant"]
    return [{"role": "system", "content": system}] + [
        {"role": roles[i % 2], "content": text} for i, text in enumerate(turns)
    ]


def test_a_repeated_prefix_is_read_from_the_cache_priced_exactly(
    http: httpx.Client, anthropic_script: Script
) -> None:
    system = f"{uuid.uuid4().hex} You judge essays. " * 300
    first = http.post("/tools/complete", json={"model": MODEL, "messages": chat(system, "Essay one?")})
    assert first.status_code == 200, first.text
    written = first.json()["usage"]
    assert written["cache_write_tokens"] == tokens(system) + tokens("Essay one?")
    assert written["cache_read_tokens"] == 0
    assert first.json()["cache_saving_usd"] < 0  # a write costs more than plain input until it is read

    second = http.post(
        "/tools/complete",
        json={"model": MODEL, "messages": chat(system, "Essay one?", "Fine.", "Essay two?")},
    )
    body = second.json()
    usage = body["usage"]
    assert usage["cache_read_tokens"] == written["cache_write_tokens"]
    assert body["cost_usd"] == pytest.approx(
        genai_cost(
            usage["input_tokens"],
            usage["output_tokens"],
            usage["cache_read_tokens"],
            usage["cache_write_tokens"],
        ),
        rel=1e-9,
    )
    plain = genai_cost(usage["input_tokens"], usage["output_tokens"])
    assert body["cache_saving_usd"] == pytest.approx(plain - body["cost_usd"], rel=1e-9)
    assert body["cache_saving_usd"] > 0

    hit = http.post(
        "/tools/complete",
        json={"model": MODEL, "messages": chat(system, "Essay one?", "Fine.", "Essay two?")},
    ).json()
    assert (hit["cached"], hit["cost_usd"], hit["cache_saving_usd"]) == (True, 0.0, 0.0)


def test_opting_out_sends_no_markers_and_reports_no_saving(
    http: httpx.Client, anthropic_script: Script
) -> None:
    system = f"{uuid.uuid4().hex} You judge essays. " * 300
    for _ in range(2):
        response = http.post(
            "/tools/complete",
            json={"model": MODEL, "messages": chat(system, "Essay?"), "prompt_cache": False, "cache": False},
        )
        assert response.status_code == 200, response.text
        assert response.json()["usage"]["cache_read_tokens"] == 0
        assert response.json()["cache_saving_usd"] == 0
    assert "cache_control" not in str(anthropic_script.last("/v1/messages").body)

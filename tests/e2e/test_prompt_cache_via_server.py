"""Automatic prompt caching end to end: the running mcp-llm against the fake Anthropic API, which bills
a repeated prefix as cache reads; the response prices them exactly and reports the saving."""

from __future__ import annotations

import json
import uuid

import genai_prices
import httpx
import pytest

from tests.conftest import ServiceProcess
from tests.fakes import gemini_api as gemini_wire
from tests.fakes.anthropic_cache import tokens
from tests.fakes.server import Reply, Script

MODEL = "claude-sonnet-4-6"


def genai_cost(
    input_tokens: int,
    output_tokens: int,
    read: int = 0,
    write: int = 0,
    model: str = MODEL,
    provider: str = "anthropic",
) -> float:
    usage = genai_prices.Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=read or None,
        cache_write_tokens=write or None,
    )
    return float(genai_prices.calc_price(usage, model_ref=model, provider_id=provider).total_price)


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


GEMINI = "gemini-2.5-flash"


@pytest.mark.parametrize("stream", [False, True])
def test_gemini_implicit_cache_hits_are_priced_as_cache_reads_with_the_saving(
    http: httpx.Client, gemini_script: Script, stream: bool
) -> None:
    """Gemini caches repeated prefixes by itself (implicit caching) and says so in
    ``usageMetadata.cachedContentTokenCount``, counted within ``promptTokenCount``."""
    if stream:
        frames = gemini_wire.stream_frames(["The", " verdict."], model=GEMINI, prompt=20_000, cached=16_000)
        gemini_script.push(gemini_wire.STREAM, Reply(stream=frames))
    else:
        body = gemini_wire.response_body(
            "The verdict.", model=GEMINI, prompt=20_000, candidates=300, cached=16_000
        )
        gemini_script.push(gemini_wire.GENERATE, Reply(json=body))
    tool = "stream_complete" if stream else "complete"
    response = http.post(
        f"/tools/{tool}",
        json={"model": GEMINI, "messages": chat("You judge essays.", "Essay?"), "cache": False},
    )
    assert response.status_code == 200, response.text
    answer = response.json() if not stream else _done(response.text)
    usage = answer["usage"]
    output = 300 if not stream else 2
    assert (usage["input_tokens"], usage["cache_read_tokens"], usage["output_tokens"]) == (
        20_000,
        16_000,
        output,
    )
    cost = genai_cost(20_000, output, read=16_000, model=GEMINI, provider="google")
    assert answer["cost_usd"] == pytest.approx(cost, rel=1e-9)
    plain = genai_cost(20_000, output, model=GEMINI, provider="google")
    assert answer["cache_saving_usd"] == pytest.approx(plain - cost, rel=1e-9)
    # 16,000 tokens at $0.30 - $0.03 per million: the saving is the cache-read discount, nothing else
    assert answer["cache_saving_usd"] == pytest.approx(16_000 * (0.30 - 0.03) / 1e6, rel=1e-6)


def _done(sse: str) -> dict:
    frames = [f for f in sse.split("\n\n") if f.startswith("event: done")]
    assert len(frames) == 1, sse
    return json.loads(frames[0].split("data: ", 1)[1])

"""Each vendor's batch API end to end: a running mcp-llm submits to the vendor's fake through the
official SDK, polls it in the background, and answers get_batch with every request's result in input
order, priced at the vendor's batch rate and billed once to the submitting organization."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import genai_prices
import pytest

from tests.conftest import ServiceProcess
from tests.fakes.batches import (
    ANTHROPIC_BATCHES,
    ERROR,
    GEMINI_BATCHES,
    GEMINI_CACHED,
    INPUT,
    OPENAI_BATCHES,
    OUTPUT,
    SLOW,
    BatchFake,
    Plan,
)
from tests.llm.batch_jobs.conftest import call, usage, wait_for_end

pytestmark = pytest.mark.timeout(300)  # the module starts server processes on a busy machine


@dataclass(frozen=True)
class Vendor:
    provider: str
    model: str
    pricing_id: str
    fake: BatchFake
    backend: str
    cached: int = 0
    """Prompt tokens each answer reports as read from the vendor's cache."""


VENDORS = [
    Vendor("openai", "gpt-5-mini", "openai", OPENAI_BATCHES, "openai"),
    Vendor("claude", "claude-sonnet-4-6", "anthropic", ANTHROPIC_BATCHES, "anthropic"),
    Vendor("gemini", "gemini-2.5-flash", "google", GEMINI_BATCHES, "gemini", cached=GEMINI_CACHED),
]


def prices(vendor: Vendor) -> tuple[float, float]:
    """(batch, standard) price of one answered request, from genai-prices itself."""
    usage = genai_prices.Usage(
        input_tokens=INPUT, output_tokens=OUTPUT, cache_read_tokens=vendor.cached or None
    )
    batch = genai_prices.calc_price(
        usage, vendor.model, provider_id=vendor.pricing_id, price_context={"processing": "batch"}
    )
    standard = genai_prices.calc_price(usage, vendor.model, provider_id=vendor.pricing_id)
    return float(batch.total_price), float(standard.total_price)


def items(vendor: Vendor, *texts: str) -> list[dict]:
    return [
        {
            "id": f"q{n}",
            "provider": vendor.provider,
            "model": vendor.model,
            "max_tokens": 600,
            "messages": [
                {"role": "system", "content": "Answer briefly."},
                {"role": "user", "content": f"Question {n}: {text}"},
            ],
        }
        for n, text in enumerate(texts)
    ]


def submit(server: ServiceProcess, vendor: Vendor, organization: str, *texts: str) -> dict:
    response = call(server, "submit_batch", {"items": items(vendor, *texts), "organization_id": organization})
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["state"] == "in_progress" and job["backend"] == vendor.backend
    assert job["items"] is None and job["counts"]["total"] == len(texts)
    return job


def org() -> str:
    return f"org-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("vendor", VENDORS, ids=lambda v: v.provider)
def test_results_arrive_in_order_priced_at_the_batch_rate_and_billed_once(
    batch_server: ServiceProcess, vendor: Vendor
) -> None:
    vendor.fake.plans.append(Plan(polls=2))
    organization = org()
    job = submit(batch_server, vendor, organization, "colour?", f"too long {ERROR}", "fruit?")
    ended = wait_for_end(batch_server, job["id"], organization_id=organization)

    assert ended["state"] == "completed"
    results = ended["items"]
    assert [r["id"] for r in results] == ["q0", "q1", "q2"]
    assert [r["ok"] for r in results] == [True, False, True]
    assert results[0]["response"]["content"] == "Batch answer to q0"
    assert results[1]["error"]["type"] in ("invalid_request", "context_length_exceeded")
    assert results[1]["error"]["provider"] == vendor.provider and results[1]["response"] is None
    assert ended["counts"] == {"total": 3, "succeeded": 2, "failed": 1, "pending": 0}

    batch_price, standard_price = prices(vendor)
    assert batch_price < standard_price
    for result in (results[0], results[2]):
        assert result["response"]["usage"]["input_tokens"] == INPUT
        assert result["response"]["usage"]["output_tokens"] == OUTPUT
        assert result["response"]["cost_usd"] == pytest.approx(batch_price, rel=1e-9)
    assert ended["cost_usd"] == pytest.approx(2 * batch_price, rel=1e-9)
    assert ended["standard_cost_usd"] == pytest.approx(2 * standard_price, rel=1e-9)
    assert ended["price_source"] == "genai-prices batch price"

    report = usage(batch_server, organization)
    assert report["totals"]["requests"] == 2  # the refused request is not billed
    assert report["totals"]["input_tokens"] == 2 * INPUT
    assert report["totals"]["cost_usd"] == pytest.approx(2 * batch_price, rel=1e-6)
    again = wait_for_end(batch_server, job["id"], organization_id=organization)
    assert again == ended and usage(batch_server, organization)["totals"] == report["totals"]


def test_openai_gets_a_jsonl_file_and_a_24h_chat_completions_batch(batch_server: ServiceProcess) -> None:
    vendor = VENDORS[0]
    job = submit(batch_server, vendor, org(), "one", "two")
    created = OPENAI_BATCHES.created_bodies[-1]
    assert created["endpoint"] == "/v1/chat/completions" and created["completion_window"] == "24h"
    assert created["metadata"] == {"gateway_job": job["id"]}
    purpose, content = OPENAI_BATCHES.files[created["input_file_id"]]
    lines = [line for line in content.decode().splitlines() if line]
    parsed = [json.loads(line) for line in lines]
    assert purpose == "batch" and [p["custom_id"] for p in parsed] == ["q0", "q1"]
    assert {p["url"] for p in parsed} == {"/v1/chat/completions"} and {p["method"] for p in parsed} == {
        "POST"
    }
    assert parsed[0]["body"]["model"] == "gpt-5-mini" and parsed[0]["body"]["max_completion_tokens"] == 600
    assert parsed[0]["body"]["messages"][0] == {"role": "system", "content": "Answer briefly."}


def test_anthropic_and_gemini_get_the_complete_parameters(batch_server: ServiceProcess) -> None:
    submit(batch_server, VENDORS[1], org(), "one")
    params = ANTHROPIC_BATCHES.created_bodies[-1]["requests"][0]
    assert params["custom_id"] == "q0"
    assert params["params"]["model"] == "claude-sonnet-4-6" and params["params"]["max_tokens"] == 600
    assert params["params"]["system"] == "Answer briefly."
    submit(batch_server, VENDORS[2], org(), "one")
    batch = GEMINI_BATCHES.created_bodies[-1]["batch"]
    inlined = batch["inputConfig"]["requests"]["requests"][0]
    assert inlined["metadata"] == {"key": "q0"}
    assert inlined["request"]["generationConfig"]["maxOutputTokens"] == 600
    assert inlined["request"]["systemInstruction"]["parts"][0]["text"] == "Answer briefly."


@pytest.mark.parametrize("vendor", VENDORS, ids=lambda v: v.provider)
def test_an_expired_job_keeps_what_ran_and_bills_only_that(
    batch_server: ServiceProcess, vendor: Vendor
) -> None:
    vendor.fake.plans.append(Plan(polls=1, end="expired"))
    organization = org()
    job = submit(batch_server, vendor, organization, "quick", f"slow {SLOW}")
    ended = wait_for_end(batch_server, job["id"], organization_id=organization)
    assert ended["state"] in ("expired", "completed")
    slow = ended["items"][1]
    assert not slow["ok"] and slow["error"]["type"] == "timeout" and slow["error"]["reason"] == "expired"
    billed = usage(batch_server, organization)["totals"]
    if vendor.provider == "gemini":  # an expired Gemini job returns no results at all
        assert ended["state"] == "expired" and not ended["items"][0]["ok"]
        assert billed["requests"] == 0
    else:
        assert ended["items"][0]["ok"]
        assert billed["requests"] == 1
        assert billed["cost_usd"] == pytest.approx(prices(vendor)[0], rel=1e-6)


@pytest.mark.parametrize("vendor", [VENDORS[0], VENDORS[2]], ids=lambda v: v.provider)
def test_a_failed_job_fails_every_request_and_bills_nothing(
    batch_server: ServiceProcess, vendor: Vendor
) -> None:
    vendor.fake.plans.append(Plan(polls=0, end="failed"))
    organization = org()
    job = submit(batch_server, vendor, organization, "a", "b")
    ended = wait_for_end(batch_server, job["id"], organization_id=organization)
    assert ended["state"] == "failed" and ended["error"]["type"] == "invalid_request"
    assert [r["ok"] for r in ended["items"]] == [False, False]
    assert all(r["error"] == ended["error"] for r in ended["items"])
    if vendor.provider == "openai":
        assert "Enqueued token limit" in ended["error"]["message"]
    assert usage(batch_server, organization)["totals"]["requests"] == 0


@pytest.mark.parametrize("vendor", VENDORS, ids=lambda v: v.provider)
def test_cancel_stops_the_job_and_keeps_answered_requests(
    batch_server: ServiceProcess, vendor: Vendor
) -> None:
    vendor.fake.plans.append(Plan(polls=10_000))
    organization = org()
    job = submit(batch_server, vendor, organization, "done already", f"not yet {SLOW}")
    response = call(batch_server, "cancel_batch", {"id": job["id"], "organization_id": organization})
    assert response.status_code == 200, response.text
    assert response.json()["state"] in ("cancelling", "in_progress")
    ended = wait_for_end(batch_server, job["id"], organization_id=organization)
    assert ended["state"] == "cancelled"
    first, second = ended["items"]
    assert first["ok"] and first["response"]["content"] == "Batch answer to q0"
    assert not second["ok"] and second["error"]["reason"] == "cancelled"
    assert usage(batch_server, organization)["totals"]["requests"] == 1

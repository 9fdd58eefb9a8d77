"""Cost of real vendor responses: cached and reasoning tokens, hand-computed from the price table,
and the same figures in the usage ledger and its CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest

from mcp_llm.governance.usage_report import UsageReportArgs, build_report
from mcp_llm.service import LLMService
from tests.conftest import TEST_OPENAI_KEY
from tests.fakes import openai_api as wire
from tests.fakes.server import FakeServer, Reply, Script
from tests.llm.governance.conftest import ask, http_call, unique

# gpt-5-mini in the pinned genai-prices table: $0.25 input, $0.025 cached input, $2 output per million tokens.
INPUT, CACHED, OUTPUT = 0.25e-6, 0.025e-6, 2e-6


@pytest.fixture
async def openai_service(
    make_service: Callable[..., LLMService], fake_openai: tuple[FakeServer, Script], openai_script: Script
) -> LLMService:
    return await make_service(openai_api_key=TEST_OPENAI_KEY, openai_base_url=f"{fake_openai[0].url}/v1")


async def test_cached_and_reasoning_tokens_cost_what_the_vendor_charges(
    openai_service: LLMService, openai_script: Script
) -> None:
    org = unique("billing")
    openai_script.push(
        wire.CHAT,
        Reply(
            json=wire.completion_body("cached", prompt_tokens=20_000, completion_tokens=300, cached=16_000)
        ),
        Reply(
            json=wire.completion_body(
                "thought", prompt_tokens=1_000, completion_tokens=5_000, reasoning=4_200
            )
        ),
    )
    cached = await openai_service.gateway.complete(ask(model="gpt-5-mini", cache=False), http_call(org))
    assert cached.usage.cache_read_tokens == 16_000
    assert cached.cost_usd == pytest.approx(4_000 * INPUT + 16_000 * CACHED + 300 * OUTPUT)  # $0.0020
    reasoning = await openai_service.gateway.complete(
        ask("think", model="gpt-5-mini", cache=False), http_call(org)
    )
    assert reasoning.usage.reasoning_tokens == 4_200
    assert reasoning.cost_usd == pytest.approx(1_000 * INPUT + 5_000 * OUTPUT)  # reasoning inside the output

    report = await build_report(
        openai_service.governance.ledger, UsageReportArgs(period="today", format="csv"), org
    )
    assert report.totals.requests == 2
    assert report.totals.cache_read_tokens == 16_000 and report.totals.reasoning_tokens == 4_200
    assert report.totals.cost_usd == pytest.approx(cached.cost_usd + reasoning.cost_usd)
    rows = list(csv.DictReader(io.StringIO(report.csv or "")))
    assert len(rows) == 1 and rows[0]["model"] == "gpt-5-mini" and rows[0]["organization"] == org
    assert float(rows[0]["cost_usd"]) == pytest.approx(report.totals.cost_usd)


async def test_cache_hits_are_free_requests_and_mock_costs_nothing(
    make_service: Callable[..., LLMService],
) -> None:
    svc = await make_service()
    org = unique("hits")
    first = await svc.gateway.complete(ask("same", temperature=0.0), http_call(org))
    second = await svc.gateway.complete(ask("same", temperature=0.0), http_call(org))
    assert (first.cached, second.cached, first.cost_usd, second.cost_usd) == (False, True, 0.0, 0.0)
    report = await build_report(svc.governance.ledger, UsageReportArgs(period="today"), org)
    assert (report.totals.requests, report.totals.cached_requests) == (2, 1)
    assert report.totals.input_tokens == first.usage.input_tokens


async def test_a_cut_stream_bills_what_reached_the_caller(make_service: Callable[..., LLMService]) -> None:
    svc = await make_service()
    org = unique("cut")
    with pytest.raises(Exception, match="stream cut"):
        await svc.gateway.stream(ask("a long tale", model="mock-stream-cut", cache=False), http_call(org))
    report = await build_report(svc.governance.ledger, UsageReportArgs(period="today"), org)
    assert (report.totals.requests, report.totals.failed_requests) == (1, 1)
    assert report.totals.output_tokens > 0


def test_periods_resolve_to_utc_calendar_days() -> None:
    from datetime import date

    from mcp_llm.governance.usage_report import resolve_period

    today = date(2026, 3, 15)
    assert resolve_period(UsageReportArgs(period="last_month"), today) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
    )
    assert resolve_period(UsageReportArgs(period="last_7_days"), today) == (date(2026, 3, 9), today)
    assert resolve_period(UsageReportArgs(), today) == (date(2026, 3, 1), today)
    assert resolve_period(UsageReportArgs(start=date(2026, 1, 2)), today) == (date(2026, 1, 2), today)

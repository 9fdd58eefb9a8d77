"""Batch pricing: genai-prices' batch price where it has one, else the documented 50 % discount."""

from __future__ import annotations

import genai_prices
import pytest

from mcp_llm.pricing import BATCH_DISCOUNT, PriceBook
from mcp_shared.models import Usage

BOOK = PriceBook()


@pytest.mark.parametrize(
    ("provider", "model", "pricing_id"),
    [("openai", "gpt-5-mini", "openai"), ("claude", "claude-haiku-4-5", "anthropic")],
)
def test_genai_prices_batch_variant_is_used(provider: str, model: str, pricing_id: str) -> None:
    usage = Usage.of(12_345, 678, cache_read_tokens=2_000)
    cost, source = BOOK.batch_cost(provider, model, usage)
    expected = genai_prices.calc_price(
        genai_prices.Usage(input_tokens=12_345, output_tokens=678, cache_read_tokens=2_000),
        model,
        provider_id=pricing_id,
        price_context={"processing": "batch"},
    )
    assert source == "genai-prices batch price"
    assert cost == pytest.approx(float(expected.total_price), rel=1e-12)
    assert cost < BOOK.cost(provider, model, usage)


def test_gemini_batch_keeps_cache_reads_at_the_standard_rate() -> None:
    """Google halves input and output in batch mode but not context-cache reads: not a flat 50 %."""
    plain, cached = Usage.of(10_000, 1_000), Usage.of(10_000, 1_000, cache_read_tokens=8_000)
    assert BOOK.batch_cost("gemini", "gemini-2.5-flash", plain)[0] == pytest.approx(
        BATCH_DISCOUNT * BOOK.cost("gemini", "gemini-2.5-flash", plain), rel=1e-9
    )
    batch = BOOK.batch_cost("gemini", "gemini-2.5-flash", cached)[0]
    assert batch > BATCH_DISCOUNT * BOOK.cost("gemini", "gemini-2.5-flash", cached) * 1.01


@pytest.mark.parametrize(
    ("provider", "model"), [("qwen", "qwen-plus"), ("claude", "claude-3-haiku-20240307")]
)
def test_without_a_batch_price_the_documented_discount_applies(provider: str, model: str) -> None:
    usage = Usage.of(5_000, 2_000)
    cost, source = BOOK.batch_cost(provider, model, usage)
    assert source == "standard price with the batch discount"
    assert BOOK.cost(provider, model, usage) > 0
    assert cost == pytest.approx(BATCH_DISCOUNT * BOOK.cost(provider, model, usage), rel=1e-12)


def test_free_providers_cost_nothing_in_a_batch() -> None:
    assert BOOK.batch_cost("mock", "mock-1", Usage.of(100, 100)) == (0.0, "free")

"""Cost accuracy: cache and reasoning tokens priced as the vendor prices them, and the fast path exact."""

from __future__ import annotations

import genai_prices
import pytest
from genai_prices import data_snapshot

from mcp_llm.pricing import GENAI_PRICES_PROVIDER, PriceBook
from mcp_shared.models import Usage

BOOK = PriceBook()


def test_cached_prompt_tokens_are_priced_at_the_cache_read_rate() -> None:
    # gpt-5-mini: $0.25 input, $0.025 cached input, $2 output per million tokens.
    usage = Usage.of(10_000, 1_000, cache_read_tokens=8_000)
    expected = (2_000 * 0.25 + 8_000 * 0.025 + 1_000 * 2.0) / 1_000_000
    assert BOOK.cost("openai", "gpt-5-mini", usage) == pytest.approx(expected, rel=1e-12)
    assert BOOK.cost("openai", "gpt-5-mini", usage) < BOOK.cost(
        "openai", "gpt-5-mini", Usage.of(10_000, 1_000)
    )


def test_reasoning_tokens_are_billed_within_the_output() -> None:
    # Reasoning tokens are part of output_tokens and billed at the output rate: not twice, not free.
    usage = Usage.of(1_200, 3_000, reasoning_tokens=2_500)
    expected = (1_200 * 0.25 + 3_000 * 2.0) / 1_000_000
    assert BOOK.cost("openai", "gpt-5-mini", usage) == pytest.approx(expected, rel=1e-12)


def test_cache_writes_are_priced_at_the_cache_write_rate() -> None:
    # claude-haiku-4-5: $1 input, $0.10 cache read, $1.25 cache write (5 min), $5 output per million.
    usage = Usage.of(5_000, 200, cache_read_tokens=1_000, cache_write_tokens=3_000)
    expected = (1_000 * 1.0 + 1_000 * 0.10 + 3_000 * 1.25 + 200 * 5.0) / 1_000_000
    assert BOOK.cost("claude", "claude-haiku-4-5", usage) == pytest.approx(expected, rel=1e-12)


def test_local_and_mock_models_are_free_and_unknown_models_cost_nothing() -> None:
    usage = Usage.of(1_000, 1_000)
    assert BOOK.cost("llama", "llama3.2", usage) == 0.0
    assert BOOK.cost("mock", "mock-1", usage) == 0.0
    assert BOOK.cost("openai", "no-such-model-anywhere", usage) == 0.0
    assert BOOK.sheet("openai", "no-such-model-anywhere").source == "unknown"


def test_estimate_is_the_uncached_upper_bound() -> None:
    assert BOOK.estimate("openai", "gpt-5-mini", 1_000, 500) == pytest.approx(
        (1_000 * 0.25 + 500 * 2.0) / 1e6
    )


SHAPES = [
    Usage.of(1_000, 500),
    Usage.of(250_000, 4_000, cache_read_tokens=200_000),
    Usage.of(12_345, 6_789, cache_write_tokens=10_000, reasoning_tokens=5_000),
    Usage.of(300_000, 20_000, cache_read_tokens=50_000, cache_write_tokens=100_000, reasoning_tokens=15_000),
]


def _snapshot_models() -> list[tuple[str, str]]:
    wanted = {v: k for k, v in GENAI_PRICES_PROVIDER.items() if v is not None}
    return [
        (wanted[p.id], m.id)
        for p in data_snapshot.get_snapshot().providers
        if p.id in wanted
        for m in p.models
    ]


def test_every_snapshot_model_costs_what_genai_prices_says() -> None:
    """The flat-rate fast path and genai-prices' calculator agree for every model we can price."""
    models = _snapshot_models()
    assert len(models) > 100
    for provider, model in models:
        for usage in SHAPES:
            try:
                reference = genai_prices.calc_price(
                    genai_prices.Usage(
                        input_tokens=usage.input_tokens,
                        output_tokens=usage.output_tokens,
                        cache_read_tokens=usage.cache_read_tokens or None,
                        cache_write_tokens=usage.cache_write_tokens or None,
                        output_reasoning_tokens=usage.reasoning_tokens or None,
                    ),
                    model_ref=model,
                    provider_id=GENAI_PRICES_PROVIDER[provider],
                )
            except LookupError:  # an id its own matcher does not resolve: unpriced on both sides
                assert BOOK.cost(provider, model, usage) == 0.0
                continue
            assert BOOK.cost(provider, model, usage) == pytest.approx(
                float(reference.total_price), rel=1e-9, abs=1e-12
            ), (provider, model, usage)

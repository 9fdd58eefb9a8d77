"""What a call costs: genai-prices' pinned snapshot, an override file for vendors it lacks, free local models.

The snapshot ships inside the genai-prices package, so nothing is fetched at start-up or per call.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import genai_prices
from genai_prices import data_snapshot

from mcp_shared.models import Usage

logger = logging.getLogger(__name__)

OVERRIDES_FILE = Path(__file__).parent / "catalog" / "prices.json"

# Our provider keys -> genai-prices provider ids.
GENAI_PRICES_PROVIDER: dict[str, str | None] = {
    "openai": "openai",
    "claude": "anthropic",
    "gemini": "google",
    "grok": "x-ai",
    "openai_compatible": None,  # matched by model name across all providers
}
FREE_PROVIDERS = frozenset({"llama", "mock"})
PriceSource = Literal["genai-prices", "override", "free", "unknown"]


@dataclass(frozen=True, slots=True)
class PriceSheet:
    """Base prices in USD per million tokens (tiers and variants live in the source)."""

    input: float | None
    output: float | None
    cache_read: float | None
    cache_write: float | None
    source: PriceSource

    def as_dict(self) -> dict[str, Any]:
        return {
            "input_per_mtok": self.input,
            "output_per_mtok": self.output,
            "cache_read_per_mtok": self.cache_read,
            "cache_write_per_mtok": self.cache_write,
            "source": self.source,
        }


def _base(value: Any) -> float | None:
    """A plain or tiered genai-prices price as its base rate."""
    if value is None:
        return None
    if isinstance(value, Decimal | int | float):
        return float(value)
    base = getattr(value, "base", None)
    return float(base) if base is not None else None


@lru_cache(maxsize=1)
def _overrides() -> dict[str, dict[str, dict[str, float]]]:
    try:
        return json.loads(OVERRIDES_FILE.read_text())["providers"]
    except FileNotFoundError:
        return {}


class PriceBook:
    """Prices models and calls; unknown models cost 0 and say so in their sheet."""

    def sheet(self, provider: str, model: str) -> PriceSheet:
        if provider in FREE_PROVIDERS:
            return PriceSheet(0.0, 0.0, 0.0, 0.0, "free")
        override = _overrides().get(provider, {}).get(model)
        if override is not None:
            return PriceSheet(
                override.get("input"),
                override.get("output"),
                override.get("cache_read"),
                override.get("cache_write"),
                "override",
            )
        found = self._find(provider, model)
        if found is None:
            return PriceSheet(None, None, None, None, "unknown")
        prices = found.prices
        if isinstance(prices, list):  # conditional prices: the first (current) entry
            prices = prices[-1].prices
        return PriceSheet(
            _base(prices.input_mtok),
            _base(prices.output_mtok),
            _base(prices.cache_read_mtok),
            _base(prices.cache_write_mtok),
            "genai-prices",
        )

    def context_window(self, provider: str, model: str) -> int | None:
        found = self._find(provider, model)
        return getattr(found, "context_window", None) if found is not None else None

    def cost(self, provider: str, model: str, usage: Usage) -> float:
        """USD cost of one call's usage, as the vendor prices it."""
        if provider in FREE_PROVIDERS:
            return 0.0
        override = _overrides().get(provider, {}).get(model)
        if override is not None:
            uncached = max(0, usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens)
            total = (
                uncached * override.get("input", 0.0)
                + usage.cache_read_tokens * override.get("cache_read", override.get("input", 0.0))
                + usage.cache_write_tokens * override.get("cache_write", override.get("input", 0.0))
                + usage.output_tokens * override.get("output", 0.0)
            )
            return round(total / 1_000_000, 10)
        if provider not in GENAI_PRICES_PROVIDER:
            return 0.0
        try:
            priced = genai_prices.calc_price(
                genai_prices.Usage(
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                    cache_read_tokens=usage.cache_read_tokens or None,
                    cache_write_tokens=usage.cache_write_tokens or None,
                ),
                model_ref=model,
                provider_id=GENAI_PRICES_PROVIDER[provider],
            )
        except LookupError:
            return 0.0
        return float(priced.total_price)

    @staticmethod
    def _find(provider: str, model: str) -> Any | None:
        if provider not in GENAI_PRICES_PROVIDER:
            return None
        try:
            _, info = data_snapshot.get_snapshot().find_provider_model(
                model, None, GENAI_PRICES_PROVIDER[provider], None
            )
        except LookupError:
            return None
        return info

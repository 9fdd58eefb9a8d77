"""What a call costs: genai-prices' pinned snapshot, an override file for vendors it lacks, free local models.

The snapshot ships inside the genai-prices package, so nothing is fetched at start-up or per call. The
package (and the HTTP client it brings along) is imported on the first price asked, not at start-up: the
service asks for one in its warm-up thread beside serving.

Usage convention (how every adapter reports it): ``input_tokens`` is the whole prompt, including the
``cache_read_tokens`` and ``cache_write_tokens`` within it; ``output_tokens`` is everything generated,
including the ``reasoning_tokens`` within it. Each part is priced at the vendor's rate for it: cache reads
and writes at their cache prices, reasoning at the reasoning price where the vendor has one (else at the
output price, which is how OpenAI, Anthropic and Google bill thinking).

Pricing sits on every call's path twice (the quota estimate before, the cost after), and genai-prices'
general calculator takes a few hundred microseconds. Models whose token prices are flat (no tiers, no
per-modality or per-request prices) are priced here from the same snapshot in a few microseconds; the
rest go through ``genai_prices.calc_price``. A test checks both paths agree on every model.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mcp_shared.models import Usage

if TYPE_CHECKING:
    import genai_prices

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

# The price keys our usage can reach; any other key (audio, images, searches) prices units we never report.
_TOKEN_KEYS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "output_reasoning_mtok")
# Keys whose presence changes how plain token counts are priced: left to genai-prices' own calculator.
_GENERAL_PATH_KEYS = frozenset(
    {
        "input_text_mtok",
        "output_text_mtok",
        "cache_text_read_mtok",
        "cache_text_write_mtok",
        "output_text_reasoning_mtok",
        "requests_kcount",
    }
)
_RATES_TTL = 60.0  # seconds; prices can change on a date (conditional prices)
BATCH_DISCOUNT = 0.5
"""What the vendors' batch APIs charge relative to their standard rates, where genai-prices has no batch
price of its own (OpenAI, Anthropic and Google all document 50 %)."""
_BATCH_CONTEXT = {"processing": "batch"}
_PER_MTOK = 1_000_000


@dataclass(frozen=True, slots=True)
class PriceSheet:
    """Base prices in USD per million tokens (tiers and variants live in the source)."""

    input: float | None
    output: float | None
    cache_read: float | None
    cache_write: float | None
    source: PriceSource
    reasoning: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "input_per_mtok": self.input,
            "output_per_mtok": self.output,
            "cache_read_per_mtok": self.cache_read,
            "cache_write_per_mtok": self.cache_write,
            "reasoning_per_mtok": self.reasoning,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class FlatRates:
    """USD per million tokens of each kind, for models priced without tiers."""

    input: float
    output: float
    cache_read: float
    cache_write: float
    reasoning: float

    def cost(self, usage: Usage) -> float:
        cache_read = min(usage.cache_read_tokens, usage.input_tokens)
        cache_write = min(usage.cache_write_tokens, usage.input_tokens - cache_read)
        uncached = usage.input_tokens - cache_read - cache_write
        reasoning = min(usage.reasoning_tokens, usage.output_tokens)
        total = (
            uncached * self.input
            + cache_read * self.cache_read
            + cache_write * self.cache_write
            + (usage.output_tokens - reasoning) * self.output
            + reasoning * self.reasoning
        )
        return round(total / _PER_MTOK, 12)


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


def _override_rates(entry: dict[str, float]) -> FlatRates:
    """Override entries give input/output (and optionally cache and reasoning) prices per million tokens."""
    input_price = float(entry.get("input", 0.0))
    output_price = float(entry.get("output", 0.0))
    return FlatRates(
        input=input_price,
        output=output_price,
        cache_read=float(entry.get("cache_read", input_price)),
        cache_write=float(entry.get("cache_write", input_price)),
        reasoning=float(entry.get("reasoning", output_price)),
    )


def flat_rates(prices: Any) -> FlatRates | None:
    """The flat rates of a genai-prices ``ModelPrice``, or None when it needs the general calculator."""
    fields = {k for k, v in vars(prices).items() if v is not None}
    if fields & _GENERAL_PATH_KEYS:
        return None
    values = {key: getattr(prices, key, None) for key in _TOKEN_KEYS}
    if any(v is not None and not isinstance(v, Decimal | int | float) for v in values.values()):
        return None  # tiered
    if values["input_mtok"] is None and values["output_mtok"] is None:
        return None
    input_price = float(values["input_mtok"] or 0)
    output_price = float(values["output_mtok"] or 0)
    return FlatRates(
        input=input_price,
        output=output_price,
        cache_read=float(values["cache_read_mtok"] if values["cache_read_mtok"] is not None else input_price),
        cache_write=float(
            values["cache_write_mtok"] if values["cache_write_mtok"] is not None else input_price
        ),
        reasoning=float(
            values["output_reasoning_mtok"] if values["output_reasoning_mtok"] is not None else output_price
        ),
    )


class PriceBook:
    """Prices models and calls; unknown models cost 0 and say so in their sheet."""

    def __init__(
        self,
        provider_ids: Mapping[str, str | None] = GENAI_PRICES_PROVIDER,
        free: frozenset[str] = FREE_PROVIDERS,
    ) -> None:
        """``provider_ids``: our provider keys -> genai-prices ids (the registry's ``pricing_ids``)."""
        self._ids = provider_ids
        self._free = free
        self._rates: dict[tuple[str, str], tuple[float, FlatRates | None, bool]] = {}

    def sheet(self, provider: str, model: str) -> PriceSheet:
        if provider in self._free:
            return PriceSheet(0.0, 0.0, 0.0, 0.0, "free", 0.0)
        override = _overrides().get(provider, {}).get(model)
        if override is not None:
            return PriceSheet(
                override.get("input"),
                override.get("output"),
                override.get("cache_read"),
                override.get("cache_write"),
                "override",
                override.get("reasoning"),
            )
        found = self._find(provider, model)
        if found is None:
            return PriceSheet(None, None, None, None, "unknown")
        prices = found.get_prices(datetime.now(tz=UTC))
        return PriceSheet(
            _base(prices.input_mtok),
            _base(prices.output_mtok),
            _base(prices.cache_read_mtok),
            _base(prices.cache_write_mtok),
            "genai-prices",
            _base(getattr(prices, "output_reasoning_mtok", None)),
        )

    def context_window(self, provider: str, model: str) -> int | None:
        found = self._find(provider, model)
        return getattr(found, "context_window", None) if found is not None else None

    def cost(self, provider: str, model: str, usage: Usage) -> float:
        """USD cost of one call's usage, as the vendor prices it."""
        if provider in self._free:
            return 0.0
        rates, priced = self._flat_rates(provider, model)
        if rates is not None:
            return rates.cost(usage)
        if not priced:
            return 0.0
        return self._general_cost(provider, model, usage)

    def batch_cost(self, provider: str, model: str, usage: Usage) -> tuple[float, str]:
        """USD cost of one request run through the vendor's batch API, and where the rate came from:
        genai-prices' batch price variant where it has one (``processing: batch``), else the standard
        cost with the documented ``BATCH_DISCOUNT``."""
        if provider in self._free:
            return 0.0, "free"
        found = None if _overrides().get(provider, {}).get(model) is not None else self._find(provider, model)
        now = datetime.now(tz=UTC)
        if found is not None and any(
            variant.when.get("processing") == "batch"
            and (variant.constraint is None or variant.constraint.active(now))
            for variant in found.price_variants or ()
        ):
            import genai_prices

            try:
                priced = genai_prices.calc_price(
                    _genai_usage(usage),
                    model_ref=model,
                    provider_id=self._ids[provider],
                    price_context=_BATCH_CONTEXT,
                )
                return round(float(priced.total_price), 12), "genai-prices batch price"
            except LookupError:
                pass
        return round(
            self.cost(provider, model, usage) * BATCH_DISCOUNT, 12
        ), "standard price with the batch discount"

    def estimate(self, provider: str, model: str, input_tokens: int, output_tokens: int) -> float:
        """Upper-bound cost of a call before it runs: the whole prompt uncached, the output at its bound."""
        return self.cost(provider, model, Usage.of(input_tokens, output_tokens))

    def batch_estimate(self, provider: str, model: str, input_tokens: int, output_tokens: int) -> float:
        """``estimate`` at the vendor's batch price (``batch_cost``): what one batch request costs at most."""
        return self.batch_cost(provider, model, Usage.of(input_tokens, output_tokens))[0]

    def _flat_rates(self, provider: str, model: str) -> tuple[FlatRates | None, bool]:
        """(flat rates or None, whether the model has a price at all), cached for a minute."""
        now = time.monotonic()
        cached = self._rates.get((provider, model))
        if cached is not None and cached[0] > now:
            return cached[1], cached[2]
        override = _overrides().get(provider, {}).get(model)
        if override is not None:
            rates: FlatRates | None = _override_rates(override)
            priced = True
        else:
            found = self._find(provider, model)
            priced = found is not None
            rates = flat_rates(found.get_prices(datetime.now(tz=UTC))) if found is not None else None
        self._rates[(provider, model)] = (now + _RATES_TTL, rates, priced)
        return rates, priced

    def _general_cost(self, provider: str, model: str, usage: Usage) -> float:
        import genai_prices

        try:
            priced = genai_prices.calc_price(
                _genai_usage(usage),
                model_ref=model,
                provider_id=self._ids[provider],
            )
        except LookupError:
            return 0.0
        return float(priced.total_price)

    def _find(self, provider: str, model: str) -> Any | None:
        if provider not in self._ids:
            return None
        from genai_prices import data_snapshot

        try:
            _, info = data_snapshot.get_snapshot().find_provider_model(model, None, self._ids[provider], None)
        except LookupError:
            return None
        return info


def _genai_usage(usage: Usage) -> genai_prices.Usage:
    import genai_prices

    return genai_prices.Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens or None,
        cache_write_tokens=usage.cache_write_tokens or None,
        output_reasoning_tokens=usage.reasoning_tokens or None,
    )

"""The shipped model catalog: which models each provider offers, their windows, output limits and prices.

The catalog informs, it does not gate: a model it does not know is still passed to its vendor.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mcp_llm.pricing import PriceBook

CATALOG_FILE = Path(__file__).parent / "models.json"


class ModelInfo(BaseModel):
    """One model as list_models shows it."""

    id: str
    provider: str
    context_window: int | None = None
    max_output: int | None = None
    prices: dict[str, Any]
    source: str = "catalog"
    """``catalog`` (shipped), ``live`` (reported by the vendor only) or ``catalog+live`` (both)."""


class Catalog:
    """Shipped model facts, completed with genai-prices' windows and prices."""

    def __init__(self, prices: PriceBook, path: Path = CATALOG_FILE) -> None:
        self._prices = prices
        self._raw = json.loads(path.read_text())

    @property
    def verified(self) -> str:
        return str(self._raw["verified"])

    @cached_property
    def _by_provider(self) -> dict[str, dict[str, ModelInfo]]:
        table: dict[str, dict[str, ModelInfo]] = {}
        for provider, entries in self._raw["providers"].items():
            table[provider] = {e["id"]: self.describe(provider, e["id"], e) for e in entries}
        return table

    def describe(self, provider: str, model: str, entry: dict[str, Any] | None = None) -> ModelInfo:
        """Facts about any model, catalogued or not (unknown facts stay None)."""
        entry = entry or {}
        return ModelInfo(
            id=model,
            provider=provider,
            context_window=entry.get("context_window") or self._prices.context_window(provider, model),
            max_output=entry.get("max_output"),
            prices=self._prices.sheet(provider, model).as_dict(),
        )

    def providers(self) -> list[str]:
        return list(self._by_provider)

    def models(self, provider: str) -> list[ModelInfo]:
        return list(self._by_provider.get(provider, {}).values())

    def find(self, provider: str, model: str) -> ModelInfo | None:
        return self._by_provider.get(provider, {}).get(model)

    def provider_of(self, model: str) -> str | None:
        """The provider that lists this exact model id, if exactly one does."""
        owners = [p for p, models in self._by_provider.items() if model in models]
        return owners[0] if len(owners) == 1 else None

    def context_window(self, provider: str, model: str) -> int | None:
        found = self.find(provider, model)
        return found.context_window if found is not None else self._prices.context_window(provider, model)

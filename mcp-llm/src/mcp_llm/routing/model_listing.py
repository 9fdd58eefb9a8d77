"""``list_models``: the shipped catalog merged with each configured vendor's live model list.

Live lists are fetched on demand (never at start-up), with a short timeout, and cached; a vendor
that cannot be reached leaves the catalog as it is and says why.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping

from pydantic import BaseModel

from mcp_llm.catalog import Catalog, ModelInfo
from mcp_llm.providers.base import LiveModel
from mcp_llm.providers.registry import ProviderRegistry
from mcp_shared.errors import ServiceError

logger = logging.getLogger(__name__)


class ModelEntry(ModelInfo):
    """A model as ``list_models`` returns it: catalog facts plus the provider's state."""

    configured: bool
    healthy: bool | None = None
    """None until health monitoring has seen the provider."""


class ProviderModels(BaseModel):
    provider: str
    configured: bool
    live: bool
    """Whether the vendor's live list was merged in."""
    live_error: str | None = None


class ModelListing(BaseModel):
    catalog_verified: str
    providers: list[ProviderModels]
    models: list[ModelEntry]


class ListedModels:
    """Ids each vendor's live list has named, kept after the list expires (a model once listed stays
    known). Shared by the lister, which fills it, and the metrics' model labels, which read it."""

    def __init__(self) -> None:
        self._ids: dict[str, frozenset[str]] = {}

    def add(self, provider: str, ids: Iterable[str]) -> None:
        self._ids[provider] = self._ids.get(provider, frozenset()) | frozenset(ids)

    def is_listed(self, provider: str, model: str) -> bool:
        """Whether the provider's live list has ever named this model."""
        return model in self._ids.get(provider, ())


class ModelLister:
    """Builds model listings; caches live lists per provider for ``ttl`` seconds."""

    def __init__(
        self,
        providers: ProviderRegistry,
        catalog: Catalog,
        *,
        health_of: Mapping[str, bool],
        listed: ListedModels,
        ttl: float = 600.0,
        timeout: float = 5.0,
    ) -> None:
        self.providers = providers
        self.catalog = catalog
        self.health_of = health_of
        """Health monitoring's view: provider key -> healthy (absent until it has seen the provider)."""
        self.listed = listed
        self._ttl = ttl
        self._timeout = timeout
        self._live: dict[str, tuple[float, list[LiveModel]]] = {}

    async def listing(self, provider: str | None = None, refresh: bool = False) -> ModelListing:
        keys = [self.providers.canonical(provider)] if provider else list(self.providers.entries)
        results = await asyncio.gather(*(self._provider_models(k, refresh) for k in keys))
        return ModelListing(
            catalog_verified=self.catalog.verified,
            providers=[summary for summary, _ in results],
            models=[m for _, models in results for m in models],
        )

    async def _provider_models(self, key: str, refresh: bool) -> tuple[ProviderModels, list[ModelEntry]]:
        configured = self.providers.is_configured(key)
        healthy = self.health_of.get(key)
        merged: dict[str, ModelInfo] = {m.id: m for m in self.catalog.models(key)}
        live_error = None
        live_models: list[LiveModel] | None = None
        if configured:
            try:
                live_models = await self._live_models(key, refresh)
            except (ServiceError, TimeoutError) as exc:
                live_error = exc.message if isinstance(exc, ServiceError) else "timed out"
        for live in live_models or ():
            known = merged.get(live.id)
            if known is None:
                described = self.catalog.describe(key, live.id)
                merged[live.id] = described.model_copy(
                    update={
                        "source": "live",
                        "context_window": live.context_window or described.context_window,
                        "max_output": live.max_output,
                    }
                )
            else:
                window = live.context_window or known.context_window  # what the server serves wins
                merged[live.id] = known.model_copy(
                    update={"source": "catalog+live", "context_window": window}
                )
        entries = [
            ModelEntry(**info.model_dump(), configured=configured, healthy=healthy)
            for info in merged.values()
        ]
        summary = ProviderModels(
            provider=key, configured=configured, live=live_models is not None, live_error=live_error
        )
        return summary, entries

    async def _live_models(self, key: str, refresh: bool) -> list[LiveModel] | None:
        cached = self._live.get(key)
        if cached is not None and not refresh and cached[0] > time.monotonic():
            return cached[1]
        adapter = self.providers.get(key)
        async with asyncio.timeout(self._timeout):
            models = await adapter.list_live_models()
        if models is None:
            return None
        self._live[key] = (time.monotonic() + (adapter.live_models_ttl or self._ttl), models)
        self.listed.add(key, (m.id for m in models))
        return models

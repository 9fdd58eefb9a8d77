"""The model label of every provider/model metric, bounded in one place.

Callers name models freely (the catalog informs, it does not gate), and every metric labelled by
model would otherwise grow a series per name for the life of the process: a few thousand made-up
names make ``/metrics`` megabytes long and stall the event loop while it is written. Models the
gateway knows (catalogued, configured, or in a vendor's live list) keep their name; per provider,
the first ``METRICS_MAX_UNKNOWN_MODELS`` other names keep theirs; the rest are counted as ``other``.
Provider labels need no bound: they are always the registry's keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from prometheus_client import Counter, Gauge, Histogram

from mcp_llm.catalog import Catalog
from mcp_llm.routing.model_listing import ListedModels
from mcp_llm.routing.resolution import Target, TargetResolver, parse_ref
from mcp_llm.settings import LLMSettings
from mcp_shared.errors import ServiceError
from mcp_shared.server.metrics import BoundedLabel

DEFAULT_MAX_UNKNOWN: int = LLMSettings.model_fields["metrics_max_unknown_models"].default

Metric = TypeVar("Metric", Counter, Gauge, Histogram)


class ModelLabels:
    """``(provider, model) -> model label``: known names as they are, then a bounded few, then ``other``."""

    def __init__(
        self, known: Callable[[str, str], bool] | None = None, max_unknown: int = DEFAULT_MAX_UNKNOWN
    ) -> None:
        self._known = known or (lambda _provider, _model: False)
        self._max_unknown = max_unknown
        self._per_provider: dict[str, BoundedLabel] = {}

    def __call__(self, provider: str, model: str) -> str:
        bounded = self._per_provider.get(provider)
        if bounded is None:
            bounded = self._per_provider[provider] = BoundedLabel(
                lambda name: self._known(provider, name), self._max_unknown
            )
        return bounded(model)


class ModelLabelled(Generic[Metric]):
    """A metric labelled ``provider, model, ...`` whose model label always goes through ``ModelLabels``."""

    def __init__(self, metric: Metric, models: ModelLabels) -> None:
        self.metric: Metric = metric
        self._models = models

    def labels(self, provider: str, model: str, *rest: str) -> Metric:
        return self.metric.labels(provider, self._models(provider, model), *rest)


class KnownModels:
    """Whether the gateway knows a model: catalogued, configured by the operator, or listed live."""

    def __init__(self, catalog: Catalog, listed: ListedModels, configured: Iterable[Target]) -> None:
        self._catalog = catalog
        self._listed = listed
        self._configured = frozenset(configured)

    def __call__(self, provider: str, model: str) -> bool:
        return (
            Target(provider, model) in self._configured
            or self._catalog.find(provider, model) is not None
            or self._listed.is_listed(provider, model)
        )


def configured_models(settings: LLMSettings, resolver: TargetResolver) -> set[Target]:
    """Every model the operator names: providers' defaults, compatible models, fallbacks, queue limits."""
    providers = resolver.providers
    found = {Target(key, providers.default_model(key)) for key in providers.entries}
    found |= {Target("openai_compatible", model) for model in settings.openai_compatible_models}
    names = [*settings.fallbacks, *(hop for hops in settings.fallbacks.values() for hop in hops)]
    names += [name for name in settings.queue_limits if "/" in name]
    for name in names:
        try:
            found.add(resolver.resolve(*parse_ref(name)))
        except ServiceError:  # the component that reads this setting reports it
            continue
    return found

"""Which provider and model a call goes to, from what the caller said."""

from __future__ import annotations

from dataclasses import dataclass

from mcp_llm.catalog import Catalog
from mcp_llm.providers.registry import ProviderRegistry
from mcp_shared.errors import InvalidRequestError


def parse_ref(text: str) -> tuple[str | None, str]:
    """``provider/model`` -> (provider, model); a bare model name leaves the provider to be inferred."""
    provider, slash, model = text.partition("/")
    return (provider, model) if slash and model else (None, text)


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved provider key and model name."""

    provider: str
    model: str


class TargetResolver:
    """Resolves ``provider``/``model`` arguments, aliases, ``provider/model`` ids and bare model names."""

    def __init__(self, providers: ProviderRegistry, catalog: Catalog) -> None:
        self.providers = providers
        self.catalog = catalog

    def resolve(self, provider: str | None, model: str | None) -> Target:
        if provider:
            key = self.providers.canonical(provider)
            chosen = model or self.providers.default_model(key)
            if not chosen:
                raise InvalidRequestError(
                    f"model is required for provider '{key}'", provider=key, details={"field": "model"}
                )
            return Target(key, chosen)
        if not model:
            raise InvalidRequestError(
                "provider is required when no model is given", details={"field": "provider"}
            )
        head, slash, tail = model.partition("/")
        if slash and tail:
            try:
                return Target(self.providers.canonical(head), tail)
            except InvalidRequestError:
                pass  # a slash inside a model name (meta-llama/...), not a provider prefix
        owner = self.catalog.provider_of(model) or self.providers.infer(model)
        if owner is None:
            raise InvalidRequestError(
                f"cannot tell which provider serves model '{model}': pass provider",
                model=model,
                details={"field": "provider"},
            )
        return Target(owner, model)

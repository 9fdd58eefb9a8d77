"""Fallback chains: which hops a call may try, and which of them cannot take it before trying.

A call's chain is its primary target followed by the ``fallbacks`` it gives, or, when it gives none,
the chain the operator configured for the primary model (``FALLBACKS``). Before a hop of a chain is
tried, it is skipped when its provider is not configured here or its model's known context window is
smaller than the prompt (counted with the hop's tokenizer), and any hop is skipped while its circuit is
open; the answer lists every hop with what happened to it and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcp_llm.catalog import Catalog
from mcp_llm.routing.resolution import Target, TargetResolver, parse_ref
from mcp_shared.errors import InvalidRequestError
from mcp_shared.models import CompletionRequest


@dataclass(frozen=True, slots=True)
class Skip:
    """Why a hop is not tried: ``reason`` is a short code, ``detail`` says it for humans."""

    reason: str
    detail: str


class FallbackPlanner:
    """Builds chains and checks context windows."""

    def __init__(self, resolver: TargetResolver, catalog: Catalog, configured: dict[str, list[str]]) -> None:
        self.resolver = resolver
        self.catalog = catalog
        self._configured: dict[Target, list[Target]] = {}
        for primary, hops in configured.items():
            try:
                key = resolver.resolve(*parse_ref(primary))
                self._configured[key] = [resolver.resolve(*parse_ref(hop)) for hop in hops]
            except InvalidRequestError as exc:
                raise ValueError(f"FALLBACKS entry '{primary}': {exc.message}") from None

    def chain(self, request: CompletionRequest, primary: Target) -> list[Target]:
        if request.fallbacks:
            hops = [self.resolver.resolve(f.provider, f.model) for f in request.fallbacks]
        else:
            hops = self._configured.get(primary, [])
        chain = [primary]
        for hop in hops:
            if hop not in chain:
                chain.append(hop)
        return chain

    def configured_skip(self, hop: Target) -> Skip | None:
        """A hop whose provider has no credentials here cannot answer: skip it rather than fail the chain."""
        if self.resolver.providers.is_configured(hop.provider):
            return None
        return Skip("not_configured", f"provider '{hop.provider}' is not configured on this server")

    def context_skip(self, hop: Target, prompt_tokens: int) -> Skip | None:
        window = self.catalog.context_window(hop.provider, hop.model)
        if window is None or prompt_tokens <= window:
            return None
        return Skip(
            "context_window",
            f"prompt of about {prompt_tokens} tokens exceeds the {window}-token window of {hop.model}",
        )

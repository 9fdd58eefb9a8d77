"""The fallback chain: run the stages inside once per hop until one answers.

Everything inside this stage is per hop; everything outside it runs once per call.
"""

from __future__ import annotations

import logging

from mcp_llm.gateway.attempt import Attempt, HopSkipped, Next
from mcp_llm.gateway.metrics import GatewayMetrics
from mcp_llm.routing.resolution import Target
from mcp_shared.errors import ErrorType, LLMProviderError, QuotaExceededError, ServiceError
from mcp_shared.models import HopOutcome

logger = logging.getLogger(__name__)

FALLBACK_ON = frozenset(
    {
        ErrorType.RATE_LIMIT,
        ErrorType.PROVIDER_UNAVAILABLE,
        ErrorType.TIMEOUT,
        ErrorType.CONTEXT_LENGTH_EXCEEDED,
    }
)
"""Errors after which the next hop is tried (a bigger window may hold what this one cannot)."""


class Fallback:
    """Tries each hop in turn; a hop skipped or failed with a passing error moves on, and the answer (or
    the error) lists every hop with what happened to it. Nothing moves on once a stream has started."""

    def __init__(self, metrics: GatewayMetrics) -> None:
        self.metrics = metrics

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        chain, outcomes = attempt.chain, attempt.outcomes
        failure: LLMProviderError | None = None
        refusal: ServiceError | None = None  # why hops were skipped, when none was tried
        for index, hop in enumerate(chain):
            attempt.begin_hop(hop)
            try:
                await call_next(attempt)
            except HopSkipped as skip:
                outcomes.append(_outcome(hop, "skipped", f"{skip.reason}: {skip.detail}"))
                refusal = refusal or skip.error
                self._leaving(chain, index, skip.reason)
                continue
            except QuotaExceededError as exc:
                outcomes.append(_outcome(hop, "skipped", f"quota_exceeded: {exc.message}"))
                refusal = exc if not isinstance(refusal, QuotaExceededError) else refusal
                self._leaving(chain, index, "quota_exceeded")
                continue
            except LLMProviderError as exc:
                outcomes.append(_outcome(hop, "failed", f"{exc.error_type}: {exc.message}"))
                if attempt.stream.started or exc.error_type not in FALLBACK_ON:
                    _with_hops(exc, attempt)
                    raise
                failure = exc
                self._leaving(chain, index, str(exc.error_type))
                continue
            outcomes.append(_outcome(hop, "answered", None))
            response = attempt.response
            assert response is not None, "a hop that returns has answered"
            response.hops = outcomes
            response.fallback_used = index > 0
            response.requested_provider = attempt.primary.provider
            response.requested_model = attempt.primary.model
            return
        error = failure or refusal
        if error is None:
            raise AssertionError("unreachable: the chain is never empty")
        raise _with_hops(error, attempt)

    def _leaving(self, chain: list[Target], index: int, reason: str) -> None:
        """Count and log a move to the next hop (nothing when this was the last one)."""
        if index == len(chain) - 1:
            return
        hop, after = chain[index], chain[index + 1]
        self.metrics.fallbacks.labels(hop.provider, hop.model, reason).inc()
        logger.info(
            "falling back",
            extra={
                "from": f"{hop.provider}/{hop.model}",
                "to": f"{after.provider}/{after.model}",
                "reason": reason,
            },
        )


def _outcome(hop: Target, outcome: str, reason: str | None) -> HopOutcome:
    return HopOutcome(provider=hop.provider, model=hop.model, outcome=outcome, reason=reason)  # type: ignore[arg-type]


def _with_hops(exc: ServiceError, attempt: Attempt) -> ServiceError:
    """Attach the chain's outcomes to the error the caller gets (for chains of more than one hop)."""
    if attempt.chained:
        exc.details["hops"] = [o.model_dump() for o in attempt.outcomes]
    return exc

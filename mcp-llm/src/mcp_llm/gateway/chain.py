"""The order of the completion chain, declared once.

Outer stages run once per call, the stages inside ``Fallback`` once per hop; each wraps the ones after it.

Four stages run around everything else, once per call, before the numbered ones:

- ``Track`` — outermost: remembers whose each answered request was (and its experiment and variant, as
  the caller sees them), so feedback can later name it; nothing inside changes what it records.
- ``Signals`` — outside ``Assign`` too, for the same reason: the quality signals of the answer the caller
  got (finish reason, empty answer, tokens per second, time to first token), labelled with its variant.
- ``Judging`` — outside ``Assign`` too: offers a sample of answers (with their variant) to the judge's
  bounded queue, without waiting; only when ``JUDGE_MODEL`` is set. The judge's calls run the whole
  chain again, through ``side_calls``.
- ``Assign`` — before routing: a call that joins an experiment becomes its variant's call (provider,
  model, parameters, system prompt), so the fallback chain, cache key, quotas and usage all see the
  variant as if the caller had named it; it labels the answer with experiment and variant.

1. ``Route`` — organization, target and chain first: every later stage needs them, and a name nobody
   serves is refused before anything is counted.
1a. ``BudgetCheck`` — right after the organization is known: every call, answered or not, queues a
   background check of its budget thresholds.
1b. ``Idempotency`` — after ``Route`` (a key is scoped to the organization) and before everything that
   counts or calls (cache, quota, ledger, providers) and before ``Remember``: a replayed key is free and
   was already recorded; a concurrent repeat waits here for the first call instead of calling again.
2. ``Remember`` — outside the hops: a conversation records the answer the caller got, from whichever hop.
2a. ``Compress`` — once per call, before the hops and inside ``Remember`` and ``Idempotency`` (a replay
   makes no summary call; a conversation records what the caller sent): every hop's cache key, window
   check, quota and provider see the compressed prompt. Its summary call runs the whole chain again.
3. ``Fallback`` — the hop loop; it must wrap every per-hop guard so a skipped or failed hop moves on.
4. ``Ledger`` — the outermost per-hop stage, so it sees every way a hop ends (answer, cache hit, cut
   stream) and records what was used exactly once.
5. ``HopChecks`` — unconfigured providers and too-small context windows are skipped before any work.
6. ``Cache`` — before the circuit, quota and queue: a hit calls no provider, so it must neither take a
   half-open probe (which would then record neither success nor failure and hold the circuit half-open
   until its lease runs out) nor a token reservation nor a slot. It counts the request itself.
7. ``Adapter`` — the provider's adapter, so an unconfigured provider fails before anything is reserved.
8. ``Circuit`` — before quota and queue, so a call to an open circuit costs the organization nothing and
   waits for nothing; it records the outcome of calls that reached the provider.
9. ``Quota`` — reserve before waiting in the queue, so an organization over its limit never holds a slot.
10. ``Queue`` — the provider's concurrency bound, held for the whole call including retries.
11. ``Health`` — rolling latency and error rate, timed inside the queue (waiting is not the provider's fault).
11a. ``CacheSaving`` — around the meter: what the vendor's prompt cache saved, from the metered usage.
12. ``Meter`` — usage, cost, request metrics and the response, once per hop, around every retry.
13. ``Retry`` — repeats only the provider call, never once a stream has reached the caller.
14. ``Provide`` — the adapter call itself, bounded by the provider timeout.

A new stage is one class with ``handle(attempt, call_next)`` and one line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from mcp_llm.experiments.config import ExperimentsConfig
from mcp_llm.experiments.registry import Experiments
from mcp_llm.feedback.store import FeedbackStore, MemoryFeedback
from mcp_llm.gateway.attempt import Stage
from mcp_llm.gateway.cache import ResponseCache
from mcp_llm.gateway.conversations import ConversationStore
from mcp_llm.gateway.idempotency import IdempotencyStore
from mcp_llm.gateway.metrics import GatewayMetrics
from mcp_llm.gateway.retry import RetryPolicy
from mcp_llm.gateway.stages.alerts import BudgetCheck
from mcp_llm.gateway.stages.cache import Cache
from mcp_llm.gateway.stages.compress import Compress, CompressionConfig
from mcp_llm.gateway.stages.conversation import Remember
from mcp_llm.gateway.stages.experiment import Assign
from mcp_llm.gateway.stages.fallback import Fallback
from mcp_llm.gateway.stages.governance import Circuit, Health, HopChecks, Ledger, Queue, Quota
from mcp_llm.gateway.stages.idempotency import Idempotency
from mcp_llm.gateway.stages.judging import Judging
from mcp_llm.gateway.stages.prompt_cache import CacheSaving
from mcp_llm.gateway.stages.provider import Adapter, Meter, Provide, Retry
from mcp_llm.gateway.stages.quality import Signals
from mcp_llm.gateway.stages.routing import Route
from mcp_llm.gateway.stages.track import Track
from mcp_llm.governance.budget_alerts import BudgetAlerts
from mcp_llm.governance.core import Governance
from mcp_llm.pricing import PriceBook
from mcp_llm.providers.registry import ProviderRegistry
from mcp_llm.quality.judge import Judge
from mcp_llm.quality.signals import QualitySignals
from mcp_llm.routing.labels import ModelLabels
from mcp_llm.routing.resolution import TargetResolver
from mcp_llm.side_calls import SideCalls
from mcp_llm.tokens import TokenCounter
from mcp_shared.auth import OrganizationPolicy


@dataclass(frozen=True, slots=True)
class Parts:
    """What the stages are built from."""

    providers: ProviderRegistry
    resolver: TargetResolver
    organizations: OrganizationPolicy
    governance: Governance
    cache: ResponseCache
    conversations: ConversationStore
    tokens: TokenCounter
    prices: PriceBook
    retry: RetryPolicy
    metrics: GatewayMetrics
    idempotency: IdempotencyStore
    experiments: Experiments = field(default_factory=lambda: Experiments(ExperimentsConfig()))
    feedback: FeedbackStore = field(default_factory=lambda: MemoryFeedback(100_000))
    quality: QualitySignals | None = None
    alerts: BudgetAlerts | None = None
    judge: Judge | None = None
    compression: CompressionConfig = field(default_factory=CompressionConfig)
    side_calls: SideCalls = field(default_factory=SideCalls)
    """Bound by the gateway to the composed chain: the summary calls of ``Compress`` and the judge's
    scoring calls use it (pass the judge's own here)."""


def stages(p: Parts) -> list[Stage]:
    """The completion chain, outermost first (the order is explained in this module's docstring)."""
    g = p.governance
    return [
        Track(p.feedback),
        Signals(p.quality or QualitySignals(CollectorRegistry(), ModelLabels(), frozenset())),
        Judging(p.judge),
        Assign(p.experiments, p.organizations),
        Route(p.resolver, g.planner, p.organizations, p.tokens),
        BudgetCheck(p.alerts),
        Idempotency(p.idempotency),
        Remember(p.conversations),
        Compress(p.compression, p.tokens, p.resolver, p.providers, p.side_calls),
        Fallback(p.metrics),
        Ledger(g.ledger),
        HopChecks(g.planner),
        Cache(p.cache, p.metrics, g.quotas),
        Adapter(p.providers),
        Circuit(g.breakers),
        Quota(g.quotas, p.prices),
        Queue(g.queues),
        Health(g.monitor),
        CacheSaving(p.prices),
        Meter(p.metrics, p.tokens, p.prices),
        Retry(p.retry),
        Provide(p.metrics),
    ]

"""Judged quality: a configured judge model scores a sampled fraction of answers, off the request path.

The chain's ``Judging`` stage only offers an answer (a random draw and a ``put_nowait``, no I/O); one
background worker takes answers from a bounded queue and asks the judge. When the queue is full the
answer is dropped and counted, so a slow or failing judge can never hold up or grow behind callers.
The judge's own calls go through the gateway like any other, billed to ``JUDGE_ORGANIZATION``, and
are never judged themselves. A score is recorded on the judged answer's quality row and, when
``JUDGE_METRIC`` is set, as feedback on that answer from source ``judge``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from mcp_llm.experiments.config import MetricSpec
from mcp_llm.quality.signals import QualitySignals
from mcp_llm.side_calls import SideCalls
from mcp_shared.errors import ServiceError
from mcp_shared.models import ChatMessage, CompletionRequest
from mcp_shared.server.tools import CallContext

logger = logging.getLogger(__name__)

MAX_SHOWN = 8_000
"""Characters of the request and of the answer shown to the judge (the start of each)."""

_JUDGING: contextvars.ContextVar[bool] = contextvars.ContextVar("judging", default=False)
"""Set in the worker: the judge's own calls are not offered for judging."""

RecordFeedback = Callable[[str, str, float], Awaitable[None]]
"""(organization, request_id, score): records the score as feedback from source ``judge``."""


@dataclass(frozen=True, slots=True)
class JudgeConfig:
    provider: str | None
    model: str
    sample_rate: float
    rubric: str
    queue_size: int
    organization: str
    low: float = 0.0
    high: float = 1.0


@dataclass(frozen=True, slots=True)
class Sample:
    """One answer waiting for the judge: what was asked, what was answered, and whose it was."""

    organization: str
    request_id: str
    provider: str
    model: str
    variant: str | None
    asked: str
    answer: str


def judge_messages(config: JudgeConfig, sample: Sample) -> list[ChatMessage]:
    system = (
        f"You are a strict grader. {config.rubric}\n"
        f'Reply with JSON only: {{"score": <a number from {config.low:g} to {config.high:g}>}}, '
        "higher is better."
    )
    user = f"Request:\n{sample.asked[:MAX_SHOWN]}\n\nAnswer:\n{sample.answer[:MAX_SHOWN]}"
    return [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]


def read_score(text: str, low: float, high: float) -> float | None:
    """The ``score`` of the judge's JSON reply, when it is a number in range."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    score = value.get("score") if isinstance(value, dict) else None
    if isinstance(score, bool) or not isinstance(score, int | float) or not low <= score <= high:
        return None
    return float(score)


class Judge:
    """The sampler, the bounded queue and the worker."""

    def __init__(
        self,
        config: JudgeConfig,
        signals: QualitySignals,
        side_calls: SideCalls,
        registry: CollectorRegistry,
        record_feedback: RecordFeedback | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.signals = signals
        self.side_calls = side_calls
        """The gateway's chain, bound when it is composed (the chain contains this judge's stage)."""
        self.record_feedback = record_feedback
        self._rng = rng or random.Random()
        self._queue: asyncio.Queue[Sample] = asyncio.Queue(maxsize=config.queue_size)
        self._task: asyncio.Task[None] | None = None
        self.judged = Counter(
            "llm_judge_samples",
            "Answers offered to the judge, by outcome: queued, dropped (queue full), scored, failed.",
            ["outcome"],
            registry=registry,
        )
        self.depth = Gauge("llm_judge_queue_depth", "Answers waiting for the judge.", registry=registry)
        self.depth.set_function(self._queue.qsize)

    def sampled(self) -> bool:
        """Whether to judge this answer: a random draw (the judge's own calls never are)."""
        return not _JUDGING.get() and self._rng.random() < self.config.sample_rate

    def enqueue(self, sample: Sample) -> None:
        """Queue a sampled answer for the worker; never waits (a full queue drops it, counted)."""
        try:
            self._queue.put_nowait(sample)
        except asyncio.QueueFull:
            self.judged.labels("dropped").inc()
            return
        self.judged.labels("queued").inc()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._work(), name="quality-judge")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _work(self) -> None:
        _JUDGING.set(True)
        while True:
            sample = await self._queue.get()
            try:
                await self.judge(sample)
            except Exception:  # the worker must outlive any one sample
                self.judged.labels("failed").inc()
                logger.exception("judging failed", extra={"request_id": sample.request_id})
            finally:
                self._queue.task_done()

    async def judge(self, sample: Sample) -> float | None:
        """Ask the judge about one answer and record its score; None when it gave none."""
        request = CompletionRequest(
            provider=self.config.provider,
            model=self.config.model,
            messages=judge_messages(self.config, sample),
            temperature=0.0,
            max_tokens=64,
            organization_id=self.config.organization,
        )
        try:
            reply = await self.side_calls.complete(request, CallContext(transport="stdio"))
        except ServiceError as exc:
            self.judged.labels("failed").inc()
            logger.warning("judge call failed: %s", exc.error_type.value)
            return None
        score = read_score(reply.content, self.config.low, self.config.high)
        if score is None:
            self.judged.labels("failed").inc()
            logger.warning("judge gave no score in range", extra={"request_id": sample.request_id})
            return None
        self.signals.record_judged(sample.organization, sample.provider, sample.model, sample.variant, score)
        if self.record_feedback is not None:
            try:
                await self.record_feedback(sample.organization, sample.request_id, score)
            except ServiceError as exc:  # forgotten by now, or already rated on this metric
                logger.warning(
                    "judge score not recorded as feedback: %s",
                    exc.message,
                    extra={"request_id": sample.request_id},
                )
        self.judged.labels("scored").inc()
        return score


def judge_range(metric: MetricSpec | None) -> tuple[float, float]:
    """The scale the judge scores on: the metric's range (0 to 1 for a boolean or no metric)."""
    if metric is None or metric.type != "number":
        return 0.0, 1.0
    return metric.min, metric.max

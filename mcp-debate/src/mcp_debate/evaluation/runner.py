"""Items x methods: each method over every item, a few items at once, every outcome written as it lands.

``<out>/results.jsonl`` gets one line per finished (method, item), flushed at once, so Ctrl-C or a
crash loses at most the items in flight, and a second run with the same ``--out`` skips what is
there. ``<out>/config.json`` holds the config the results belong to; a resumed run must use the same
one (``concurrency`` aside). Self-consistency with a matched ``k`` runs after the debate it matches
and the single method it measures one call by; its ``k`` is written down once, so a resumed run keeps it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcp_debate.evaluation.config import EvalConfig, FeedbackSpec, MethodSpec, digest_text
from mcp_debate.evaluation.datasets import Item
from mcp_debate.evaluation.methods import Outcome, Services, run_item
from mcp_shared.errors import ServiceError

RESULTS = "results.jsonl"
CONFIG = "config.json"
MATCHED = "matched.json"
RUN = "run.json"


class ResumeError(ValueError):
    """``--out`` holds the results of a different evaluation."""


class ResultsFolder:
    """The results of one evaluation on disk: what is done, and appending what finishes."""

    def __init__(self, folder: Path, config: EvalConfig) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        wanted = digest_text(config)
        stored = folder / CONFIG
        if stored.exists() and stored.read_text(encoding="utf-8") != wanted:
            raise ResumeError(
                f"{folder} holds results of a different config; use another --out, or the same config"
            )
        stored.write_text(wanted, encoding="utf-8")
        self.done: dict[tuple[str, str], dict[str, Any]] = {}
        for record in read_results(folder):
            if record.get("error") is None:  # a failed item is tried again
                self.done[(record["method"], record["item"])] = record
        self.matched: dict[str, int] = (
            json.loads((folder / MATCHED).read_text(encoding="utf-8")) if (folder / MATCHED).exists() else {}
        )
        run = folder / RUN
        if not run.exists():
            run.write_text(json.dumps({"run_id": uuid.uuid4().hex[:16]}), encoding="utf-8")
        self.run_id: str = str(json.loads(run.read_text(encoding="utf-8"))["run_id"])
        """Names this evaluation's episodes on mcp-llm; a resumed run keeps it."""

    def add(self, outcome: Outcome) -> None:
        record = outcome.record()
        self.done[(outcome.method, outcome.item)] = record
        with (self.folder / RESULTS).open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, sort_keys=True) + "\n")

    def keep_k(self, method: str, k: int) -> None:
        self.matched[method] = k
        (self.folder / MATCHED).write_text(json.dumps(self.matched, sort_keys=True), encoding="utf-8")


def read_results(folder: Path) -> list[dict[str, Any]]:
    """Every finished outcome in ``folder`` (a line cut short by a crash is ignored)."""
    path = folder / RESULTS
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def ordered(config: EvalConfig) -> list[MethodSpec]:
    """Methods in config order, except that matched self-consistency comes after what it depends on."""
    plain = [m for m in config.methods if not (m.kind == "self-consistency" and m.k is None)]
    return plain + [m for m in config.methods if m not in plain]


def mean_tokens(results: ResultsFolder, method: str, items: list[Item]) -> float:
    values = [results.done[(method, i.id)]["tokens"] for i in items if (method, i.id) in results.done]
    return sum(values) / len(values) if values else 0.0


def matched_k(config: EvalConfig, method: MethodSpec, results: ResultsFolder, items: list[Item]) -> int:
    """Samples whose tokens match the debate's: its mean tokens per item over one call's, at least 2."""
    if method.k is not None:
        return method.k
    if method.name in results.matched:
        return results.matched[method.name]
    single = config.single_of(method)
    assert single is not None
    assert method.match is not None
    per_call = mean_tokens(results, single.name, items)
    debate = mean_tokens(results, method.match, items)
    k = max(2, min(64, round(debate / per_call))) if per_call > 0 else 2
    results.keep_k(method.name, k)
    return k


OnOutcome = Callable[[Outcome], None]


async def run(
    config: EvalConfig,
    items: list[Item],
    services: Services,
    results: ResultsFolder,
    on_outcome: OnOutcome,
    stop_on_error: Callable[[Outcome], bool] = lambda _: False,
) -> None:
    """Every method over every item not done yet; ``stop_on_error`` may end the run at a failed item.

    Item by item (every method on the first item, then on the second, ...), so a run stopped early
    still compares the methods on the same items; matched self-consistency comes last.
    """
    plain = [m for m in ordered(config) if not (m.kind == "self-consistency" and m.k is None)]
    stages = [plain, *([m] for m in ordered(config) if m not in plain)]
    for stage in stages:
        queue: asyncio.Queue[tuple[MethodSpec, int | None, Item]] = asyncio.Queue()
        ks = {
            m.name: matched_k(config, m, results, items) if m.kind == "self-consistency" else None
            for m in stage
        }
        for item in items:
            for method in stage:
                if (method.name, item.id) not in results.done:
                    queue.put_nowait((method, ks[method.name], item))
        workers = max(1, min(config.concurrency, queue.qsize()))
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(
                    _drain(queue, services, results, config.feedback, on_outcome, stop_on_error)
                )


def episode_id(run_id: str, method: str, item: str) -> str:
    """The episode of one method on one item: every mcp-llm call it makes carries it.

    Item ids come from the user's files, so they are hashed into episode-id characters.
    """
    digest = hashlib.sha256(f"{method}\n{item}".encode()).hexdigest()[:16]
    return f"eval:{run_id}:{digest}"


async def post_feedback(services: Services, spec: FeedbackSpec, episode: str, correct: bool) -> str:
    """``recorded``, or why mcp-llm did not take it (the item's result stands either way)."""
    try:
        args = {"episode_id": episode, "metric": spec.metric, "value": correct}
        await services.llm("record_feedback", args)
    except ServiceError as error:
        return f"{error.error_type}: {error.message}"[:300]
    return "recorded"


async def _drain(
    queue: asyncio.Queue[tuple[MethodSpec, int | None, Item]],
    services: Services,
    results: ResultsFolder,
    feedback: FeedbackSpec | None,
    on_outcome: OnOutcome,
    stop_on_error: Callable[[Outcome], bool],
) -> None:
    """One worker: (method, item) pairs off the queue until it is empty."""
    while not queue.empty():
        method, k, item = queue.get_nowait()
        episode = episode_id(results.run_id, method.name, item.id)
        outcome = await run_item(services, method, item, k, episode)
        if outcome.error is not None and stop_on_error(outcome):
            raise StoppedAtError(outcome)
        if feedback is not None and outcome.error is None:
            outcome.feedback = await post_feedback(services, feedback, episode, outcome.correct)
        results.add(outcome)
        on_outcome(outcome)


class StoppedAtError(Exception):
    """The run stopped at an item that failed (replaying: a request the recording does not hold)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(f"{outcome.method} on {outcome.item}: {outcome.error}")
        self.outcome = outcome

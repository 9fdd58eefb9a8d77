"""Evaluations the service runs for its callers (the ``evaluate`` tool): started, watched, cancelled.

Each belongs to the organization that started it and is invisible to every other (an unknown id and
another organization's id get the same answer). An organization runs at most ``max_running`` at
once; finished ones stay readable until ``keep`` newer ones of the same organization finished. Results
are written as they land, to ``<folder>/<evaluation id>/results.jsonl`` like the command line's
``--out``, and the report (JSON and markdown) beside them when the evaluation ends, however it ends:
cancelling keeps every item that finished. An evaluation lives in the process that started it; a
restart ends it (its folder keeps what finished).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mcp_debate.domain.clock import utc_now
from mcp_debate.evaluation import report as reports
from mcp_debate.evaluation.config import EvalConfig
from mcp_debate.evaluation.datasets import DatasetError, Item
from mcp_debate.evaluation.methods import Outcome, Services
from mcp_debate.evaluation.runner import ResultsFolder, read_results, run
from mcp_debate.evaluation.sources import dataset
from mcp_shared.errors import InternalError, InvalidRequestError, NotFoundError, QuotaExceededError

logger = logging.getLogger(__name__)

State = Literal["running", "completed", "cancelled", "failed"]
ID_PATTERN = r"^eval_[0-9a-f]{20}$"


@dataclass
class Evaluation:
    id: str
    organization: str
    config: EvalConfig
    items: list[Item]
    results: ResultsFolder
    created_at: str
    state: State = "running"
    finished_at: str | None = None
    error: str | None = None
    report: dict[str, Any] | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def progress(self) -> list[dict[str, Any]]:
        """Per method: items done, running accuracy, tokens, spend and errors so far."""
        rows: dict[str, dict[str, Any]] = {
            m.name: {"name": m.name, "kind": m.kind, "done": 0, "correct": 0, "tokens": 0, "cost_usd": 0.0}
            | {"errors": 0}
            for m in self.config.methods
        }
        wanted = {i.id for i in self.items}
        for (method, item), record in self.results.done.items():
            row = rows.get(method)
            if row is None or item not in wanted:
                continue
            row["done"] += 1
            row["correct"] += int(bool(record["correct"]))
            row["tokens"] += int(record["tokens"])
            row["cost_usd"] += float(record["cost_usd"])
            row["errors"] += int(record.get("error") is not None)
        for row in rows.values():
            row["accuracy"] = round(row["correct"] / row["done"], 4) if row["done"] else None
            row["cost_usd"] = round(row["cost_usd"], 6)
        return list(rows.values())


def _ignore(outcome: Outcome) -> None:
    return None


class Evaluations:
    """The evaluations of this process, by id, each owned by one organization."""

    def __init__(
        self,
        folder: Path,
        services_for: Callable[[str], Services],
        *,
        max_running: int,
        max_items: int,
        keep: int,
    ) -> None:
        self.folder = folder
        self.services_for = services_for
        self.max_running = max_running
        self.max_items = max_items
        self.keep = keep
        self.by_id: dict[str, Evaluation] = {}

    def running(self, organization: str) -> int:
        return sum(1 for e in self.by_id.values() if e.organization == organization and e.state == "running")

    async def start(self, config: EvalConfig, organization: str) -> Evaluation:
        """Check, then start in the background; the caller holds the id at once."""
        if config.dataset.kind == "jsonl":
            raise InvalidRequestError(
                "the evaluate tool reads no files: give the questions as dataset.kind 'items' with entries",
                details={"field": "dataset.kind"},
            )
        if config.dataset.items > self.max_items:
            raise InvalidRequestError(
                f"at most {self.max_items} items per evaluation (EVALUATION_MAX_ITEMS)",
                details={"field": "dataset.items"},
            )
        if self.running(organization) >= self.max_running:
            raise QuotaExceededError(
                f"organization '{organization}' already runs {self.max_running} evaluations "
                "(EVALUATION_MAX_RUNNING); wait for one to finish or cancel one",
                details={"field": "evaluate"},
            )
        try:
            items = await asyncio.to_thread(dataset, config)
        except DatasetError as error:
            raise InvalidRequestError(str(error), details={"field": "dataset"}) from None
        evaluation_id = "eval_" + uuid.uuid4().hex[:20]
        try:
            results = await asyncio.to_thread(ResultsFolder, self.folder / evaluation_id, config)
        except OSError as exc:
            logger.error("cannot write evaluation results under %s: %s", self.folder, exc)
            raise InternalError("cannot write the evaluation's results (see EVALUATION_DIR)") from None
        evaluation = Evaluation(evaluation_id, organization, config, items, results, utc_now())
        self.by_id[evaluation_id] = evaluation
        evaluation.task = asyncio.create_task(self._run(evaluation), name=f"evaluation {evaluation_id}")
        return evaluation

    async def _run(self, evaluation: Evaluation) -> None:
        services = self.services_for(evaluation.organization)
        try:  # outcomes are kept by the results folder as they land: get_evaluation reads them there
            await run(evaluation.config, evaluation.items, services, evaluation.results, _ignore)
            evaluation.state = "completed"
        except asyncio.CancelledError:
            evaluation.state = "cancelled"
        except Exception as exc:  # a failure of the run itself (an item's failure is kept in its outcome)
            logger.exception("evaluation %s failed", evaluation.id)
            evaluation.state = "failed"
            evaluation.error = f"{type(exc).__name__}: {exc}"[:500]
        finally:
            evaluation.finished_at = utc_now()
            evaluation.report = self._write_report(evaluation)
            self._forget_old(evaluation.organization)

    def _write_report(self, evaluation: Evaluation) -> dict[str, Any]:
        folder = evaluation.results.folder
        report = reports.build(
            evaluation.config,
            read_results(folder),
            [i.id for i in evaluation.items],
            evaluation.results.matched,
            partial=evaluation.state != "completed",
        )
        (folder / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", "utf-8")
        (folder / "report.md").write_text(reports.markdown(report), encoding="utf-8")
        return report

    def _forget_old(self, organization: str) -> None:
        """Keep the newest ``keep`` finished evaluations of the organization in memory."""
        finished = [e for e in self.by_id.values() if e.organization == organization and e.state != "running"]
        for old in finished[: max(0, len(finished) - self.keep)]:
            del self.by_id[old.id]

    def get(self, evaluation_id: str, organization: str) -> Evaluation:
        found = self.by_id.get(evaluation_id)
        if found is None or found.organization != organization:
            raise NotFoundError(f"no evaluation '{evaluation_id}'", details={"field": "evaluation_id"})
        return found

    async def wait(self, evaluation: Evaluation) -> None:
        """Until the evaluation ends; a caller that leaves does not stop it."""
        if evaluation.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(evaluation.task)

    async def cancel(self, evaluation: Evaluation) -> None:
        """Stop it: items in flight are abandoned (their debates cancelled), finished ones kept."""
        if evaluation.task is not None and not evaluation.task.done():
            evaluation.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await evaluation.task

    async def aclose(self) -> None:
        for evaluation in list(self.by_id.values()):
            await self.cancel(evaluation)

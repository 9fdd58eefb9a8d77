"""``--progress``: items done per method, its running accuracy and its spend, on the terminal.

A rich progress bar per method when standard error is a terminal; otherwise a plain line every
tenth item, so a log of a long run still shows it moving.
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bars

from mcp_debate.evaluation.config import EvalConfig
from mcp_debate.evaluation.datasets import Item
from mcp_debate.evaluation.methods import Outcome
from mcp_debate.evaluation.runner import ResultsFolder

PLAIN_EVERY = 10


class Progress:
    def __init__(
        self, config: EvalConfig, items: list[Item], results: ResultsFolder, *, enabled: bool
    ) -> None:
        self.enabled = enabled
        self.total = len(items)
        wanted = {i.id for i in items}
        self.tally: dict[str, list[float]] = {m.name: [0, 0, 0, 0.0] for m in config.methods}
        for (method, item), record in results.done.items():
            if item in wanted and method in self.tally:
                self._count(method, bool(record["correct"]), int(record["tokens"]), float(record["cost_usd"]))
        console = Console(stderr=True)
        self.bars: Bars | None = None
        self.tasks: dict[str, TaskID] = {}
        if enabled and console.is_terminal and not console.is_dumb_terminal:
            self.bars = Bars(
                TextColumn("{task.fields[method]:<18}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[stats]}"),
                TimeElapsedColumn(),
                console=console,
            )
            for name in self.tally:
                done = int(self.tally[name][0])
                self.tasks[name] = self.bars.add_task(
                    "", total=self.total, completed=done, method=name, stats=self._stats(name)
                )

    def _count(self, method: str, correct: bool, tokens: int, cost: float) -> None:
        t = self.tally[method]
        t[0] += 1
        t[1] += int(correct)
        t[2] += tokens
        t[3] += cost

    def _stats(self, method: str) -> str:
        done, right, tokens, cost = self.tally[method]
        accuracy = f"{100 * right / done:.1f} %" if done else "-"
        return f"accuracy {accuracy}  tokens {int(tokens)}  ${cost:.4f}"

    def update(self, outcome: Outcome) -> None:
        self._count(outcome.method, outcome.correct, outcome.tokens, outcome.cost_usd)
        if not self.enabled:
            return
        if self.bars is not None:
            self.bars.update(self.tasks[outcome.method], advance=1, stats=self._stats(outcome.method))
        elif int(self.tally[outcome.method][0]) % PLAIN_EVERY == 0:
            done = int(self.tally[outcome.method][0])
            print(f"{outcome.method}: {done}/{self.total}  {self._stats(outcome.method)}", file=sys.stderr)  # noqa: T201

    def __enter__(self) -> Progress:
        if self.bars is not None:
            self.bars.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.bars is not None:
            self.bars.stop()

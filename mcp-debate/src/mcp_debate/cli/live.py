"""The live terminal display: each finished turn printed as a panel, the turn being written below them
(the end of it, as it streams), and a progress bar for the whole debate with its running totals.

Only used on a terminal; every piece of model text goes through :class:`rich.text.Text`, so brackets
in a reply are shown, never read as markup.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from mcp_debate.cli.display import (
    intro_lines,
    skipped_line,
    summary_lines,
    target,
    totals,
    turn_heading,
    turn_usage,
    verdict_lines,
)
from mcp_debate.domain.models import DebateView, Message, Participant, Summary

COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "red")


class LiveDisplay:
    """rich's Live region: the turn in progress and the debate's progress bar."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("turns · {task.fields[totals]}"),
            TimeElapsedColumn(),
            console=self.console,
        )
        self._task = self.progress.add_task("Debate", total=None, totals="0 tokens, $0.0000")
        self._live = Live(self, console=self.console, refresh_per_second=12, transient=True)
        self._heading: Text | None = None
        self._text = ""

    def __rich__(self) -> RenderableType:
        if self._heading is None:
            return self.progress
        return Group(Panel(self._tail(), title=self._heading, title_align="left"), self.progress)

    def _tail(self) -> Text:
        """The last lines of the turn being written: as many as the terminal has room for."""
        room = max(3, self.console.size.height - 6)
        if not self._text:
            return Text("waiting for the first words…", style="dim")
        lines = Text(self._text).wrap(self.console, max(20, self.console.size.width - 4))
        return Text("\n").join(lines[-room:])

    def _colour(self, view: DebateView, name: str) -> str:
        positions = {p.name: p.position for p in view.participants}
        return COLOURS[positions.get(name, 0) % len(COLOURS)]

    def intro(self, view: DebateView, where: str, resumed: bool) -> None:
        first, *rest = intro_lines(view, where, resumed)
        self.console.print(Text(first, style="bold"))
        for line in rest:
            self.console.print(Text(line, style="dim"))
        self.progress.update(
            self._task,
            description=f"Round {view.current_round}/{view.max_rounds}",
            total=view.total_turns,
            completed=view.turns_taken,
            totals=totals(view.ledger.total),
        )
        self._live.start()

    def turn_started(self, view: DebateView, speaker: Participant) -> None:
        self._heading = Text(turn_heading(view, speaker), style=f"bold {self._colour(view, speaker.name)}")
        self._text = ""
        self.progress.update(
            self._task, description=f"Round {view.current_round}/{view.max_rounds} · {speaker.name}"
        )

    def delta(self, text: str) -> None:
        self._text += text

    def turn_finished(self, message: Message | None, view: DebateView) -> None:
        if message is None:
            self.console.print(Text(skipped_line(view).strip(), style="dim"))
            self._heading = None
            self.progress.update(self._task, total=view.total_turns, completed=view.turns_taken)
            return
        speaker = next((p for p in view.participants if p.name == message.speaker), None)
        colour = self._colour(view, message.speaker)
        title = Text(
            f"Round {message.round} · {message.speaker}" + (f" ({target(speaker)})" if speaker else ""),
            style=f"bold {colour}",
        )
        self.console.print(
            Panel(
                Text(message.content),
                title=title,
                title_align="left",
                subtitle=Text(turn_usage(message), style="dim"),
                subtitle_align="right",
                border_style=colour,
            )
        )
        self._heading = None
        self.progress.update(
            self._task, total=view.total_turns, completed=view.turns_taken, totals=totals(view.ledger.total)
        )

    def verdict(self, view: DebateView) -> None:
        lines = verdict_lines(view)
        if lines:
            head, *rest = lines
            self.console.print(
                Panel(
                    Text("\n".join(rest)),
                    title=Text(head, style="bold"),
                    title_align="left",
                    border_style="bold",
                )
            )

    def working(self, what: str) -> None:
        self.progress.update(self._task, description=f"{what}…")

    def summary(self, summary: Summary) -> None:
        first, *rest = summary_lines(summary)
        self.console.print(Panel(Text("\n".join(line.strip() for line in rest)), title=first.rstrip(":")))

    def note(self, text: str) -> None:
        self.console.print(Text(text))

    def close(self) -> None:
        self._live.stop()

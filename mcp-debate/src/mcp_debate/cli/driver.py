"""The debate itself, over MCP: create (or resume), one ``get_next_turn`` per turn, summarize, export.

Taking turns one call at a time, rather than one ``run_debate`` call, is what lets the reply stream
in as it is written (``get_next_turn`` passes mcp-llm's text deltas on as progress notifications) and
the totals update after every turn. Each turn is committed by the service, so whatever stops this
command, nothing is half-written and ``--resume`` continues from the next turn.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp import Client

from mcp_debate.cli.display import Display, totals
from mcp_debate.cli.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    CliError,
    exit_code_for,
    problem_lines,
)
from mcp_debate.cli.interrupts import Interrupted, Interrupts
from mcp_debate.cli.options import EXPORT_FOLDER
from mcp_debate.cli.plan import RunPlan
from mcp_debate.domain.models import DebateView, Message, Summary
from mcp_debate.domain.states import DebateState
from mcp_debate.llm.errors import from_tool_error
from mcp_shared.errors import ErrorType, ServiceError

CLEANUP_SECONDS = 10.0
"""How long pausing and exporting may take after Ctrl-C before giving up on them."""


@dataclass(frozen=True, slots=True)
class Outcome:
    view: DebateView
    export_path: Path | None


class DebateDriver:
    """Runs one debate against mcp-debate at ``plan.url`` through an open MCP client."""

    def __init__(
        self,
        client: Client,
        plan: RunPlan,
        display: Display,
        interrupts: Interrupts,
        resume_flags: str | None,
        where: str,
    ) -> None:
        self.where = where
        """The URL of mcp-debate, as shown to the user."""
        self.client = client
        self.plan = plan
        self.display = display
        self.interrupts = interrupts
        self.resume_flags = resume_flags
        """Flags that reach this debate again (``--url ...``); None when nothing can: a temporary database."""
        self.debate_id: str | None = None

    @property
    def resume_hint(self) -> str:
        """The command that continues this debate, or '' when there is none."""
        if self.resume_flags is None or self.debate_id is None:
            return ""
        return f"continue with: mcp-debate run --resume {self.debate_id}{self.resume_flags}"

    async def call(
        self, tool: str, args: dict[str, Any], on_delta: Callable[[str], None] | None = None
    ) -> Any:
        """One tool call; a tool error comes out as the :class:`ServiceError` it carries."""

        async def progress(progress: float, total: float | None, message: str | None) -> None:
            if message and on_delta is not None:
                on_delta(message)

        result = await self.interrupts.race(
            self.client.call_tool(tool, args, progress_callback=progress if on_delta else None)
        )
        if result.is_error:
            raise from_tool_error(result, "mcp-debate")
        return result.structured_content or {}

    async def view(self) -> DebateView:
        return DebateView.model_validate(await self.call("get_debate", {"debate_id": self.debate_id}))

    async def run(self) -> Outcome:
        view = await self._start()
        self.debate_id = view.id
        self.display.intro(view, self.where, resumed=self.plan.resume is not None)
        try:
            view = await self._take_turns(view)
        except Interrupted:
            raise await self._stopped_by_interrupt() from None
        except ServiceError as error:
            raise await self._stopped_by_error(error) from None
        summary = await self._summarize(view)
        if summary is not None:
            self.display.summary(summary)
            view = await self.view()
        path = await self._export(view)
        return Outcome(view, path)

    # -- the steps ------------------------------------------------------------------------------

    async def _start(self) -> DebateView:
        if self.plan.resume is None:
            assert self.plan.debate is not None
            try:
                return DebateView.model_validate(await self.call("create_debate", self.plan.debate))
            except ServiceError as error:
                raise self._not_created(error) from None
        self.debate_id = self.plan.resume
        try:
            view = await self.view()
            if view.state in (DebateState.PAUSED, DebateState.FAILED):
                await self.call("resume_debate", {"debate_id": view.id})
                view = await self.view()
        except ServiceError as error:
            self._check_service(error, "get_debate")
            raise CliError(
                f"cannot resume debate {self.plan.resume}: {error.message}", exit_code=exit_code_for(error)
            ) from None
        return view

    def _not_created(self, error: ServiceError) -> CliError:
        """Why create_debate failed: the problems of a refused debate, or the outage that stopped it."""
        self._check_service(error, "create_debate")
        assert self.plan.debate is not None
        names = [str(p.get("name")) for p in self.plan.debate.get("participants", [])]
        problems = problem_lines(error, names)
        if error.error_type is ErrorType.INVALID_REQUEST:
            head = "mcp-debate refused the debate"
            return CliError(
                f"{head}:" if problems else f"{head}: {_first_line(error)}",
                exit_code=EXIT_USAGE,
                details=problems,
            )
        unreachable = error.error_type is ErrorType.PROVIDER_UNAVAILABLE and "mcp-llm" in error.message
        return CliError(
            f"mcp-debate could not create the debate: {_first_line(error)}",
            details=[f"error type: {error.error_type}"],
            hint="is mcp-llm running? `make run` starts both services; --local runs both here"
            if unreachable
            else "",
        )

    def _check_service(self, error: ServiceError, tool: str) -> None:
        """A service without the debate tools is not mcp-debate (mcp-llm's URL, most likely)."""
        if error.message.startswith(f"unknown tool '{tool}'"):
            raise CliError(
                f"{self.where} is not mcp-debate: it has no {tool} tool",
                exit_code=EXIT_UNREACHABLE,
                hint="mcp-debate listens on port 5002 (mcp-llm on 5001)",
            )

    async def _take_turns(self, view: DebateView) -> DebateView:
        while (speaker := view.next_participant()) is not None:
            self.display.turn_started(view, speaker)
            turn = await self.call("get_next_turn", {"debate_id": view.id}, on_delta=self.display.delta)
            message = Message.model_validate(turn["message"]) if turn.get("message") else None
            view = await self.view()
            self.display.turn_finished(message, view)
        if view.state is not DebateState.COMPLETED:
            raise CliError(
                f"debate {view.id} is {view.state.value}; it has no turn to take", hint=self.resume_hint
            )
        self.display.verdict(view)
        return view

    async def _summarize(self, view: DebateView) -> Summary | None:
        if not self.plan.summarize or not view.turns_taken:
            return None
        self.display.working("Summarizing the debate")
        try:
            return Summary.model_validate(await self.call("summarize_debate", {"debate_id": view.id}))
        except ServiceError as error:  # the debate itself went well: say so, export it anyway
            self.display.note(f"warning: no summary: {error.message}")
            return None

    async def _export(self, view: DebateView) -> Path | None:
        if self.plan.export_format is None or not view.turns_taken:
            return None
        exported = await self.call("export_debate", {"debate_id": view.id, "format": self.plan.export_format})
        path = export_path(self.plan.output, str(exported["filename"]))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(str(exported["content"]), encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write the export to {path}: {exc.strerror or exc}") from None
        partial = (
            ""
            if view.state is DebateState.COMPLETED
            else f" ({view.turns_taken} of {view.total_turns} turns)"
        )
        self.display.note(f"Exported{partial} to {path}")
        return path

    # -- stopping early -------------------------------------------------------------------------

    async def _stopped_by_interrupt(self) -> CliError:
        """Pause the debate (a turn in flight still lands in the service) and export what exists."""
        self.display.close()
        self.interrupts.pressed.clear()
        view: DebateView | None = None
        try:
            async with asyncio.timeout(CLEANUP_SECONDS):
                # ServiceError: not running any more (completed meanwhile, or paused elsewhere)
                with contextlib.suppress(ServiceError):
                    await self.call("pause_debate", {"debate_id": self.debate_id})
                view = await self.view()
                await self._export(view)
        except (Interrupted, ServiceError, TimeoutError):
            pass
        done = f" after {view.turns_taken} of {view.total_turns} turns" if view else ""
        return CliError(
            f"interrupted: debate {self.debate_id} paused{done}",
            exit_code=EXIT_INTERRUPTED,
            hint=self.resume_hint or "the debate lived in a temporary database; --database keeps it",
        )

    async def _stopped_by_error(self, error: ServiceError) -> CliError:
        """A turn failed: say which and why, export what exists, say how to go on."""
        self.display.close()
        view: DebateView | None = None
        try:
            view = await self.view()
            await self._export(view)
        except ServiceError:
            pass
        state = (
            f" (debate {view.state.value}, {view.turns_taken} of {view.total_turns} turns)" if view else ""
        )
        detail = [f"error type: {error.error_type}"] + (
            [f"provider: {error.provider}, model: {error.model}"] if error.provider else []
        )
        return CliError(
            f"{_first_line(error)}{state}",
            exit_code=EXIT_FAILED,
            details=detail,
            hint=(f"fix the cause, then {self.resume_hint}" if self.resume_hint else ""),
        )


def export_path(output: str | None, filename: str) -> Path:
    """``--output`` as given, or inside it when it is a folder (or ends with a slash); default: ``data/``."""
    if output is None:
        return EXPORT_FOLDER / filename
    path = Path(output).expanduser()
    if path.is_dir() or output.endswith(("/", "\\")):
        return path / filename
    return path


def final_line(view: DebateView, seconds: float) -> str:
    ledger = view.ledger.total
    why = view.stopped_reason
    early = f" ({why.replace('_', ' ')})" if why and why != view.state.value else ""
    return (
        f"Debate {view.id} {view.state.value}{early}: {view.turns_taken} turns, {totals(ledger)} "
        f"({ledger.calls} LLM calls) in {seconds:.1f} s"
    )


def _first_line(error: ServiceError) -> str:
    return error.message.splitlines()[0] if error.message else str(error.error_type)

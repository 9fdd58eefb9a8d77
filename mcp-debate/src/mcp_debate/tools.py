"""The tools of mcp-debate: thin functions from validated arguments to the orchestrator's answers."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from mcp_debate.access import caller_organization, owned_tool
from mcp_debate.domain.models import (
    MAX_POSITION,
    Debate,
    DebateId,
    DebateView,
    Message,
    StoppedReason,
    Summary,
)
from mcp_debate.domain.states import DebateState
from mcp_debate.domain.verdict import Verdict
from mcp_debate.exports import FORMAT_ALIASES, ExportFormat, render
from mcp_debate.orchestration import deliberation
from mcp_debate.orchestration.creation import CreateDebateArgs
from mcp_debate.orchestration.debate_summaries import SummarizeArgs
from mcp_debate.orchestration.deliberation import DeliberateArgs, DeliberateResult
from mcp_debate.orchestration.following import run_and_follow
from mcp_debate.orchestration.lifecycle import AddMessageArgs
from mcp_debate.orchestration.queries import DebateList
from mcp_debate.orchestration.runs import StopReason
from mcp_debate.orchestrator import Orchestrator
from mcp_debate.protocols.prompts import readable
from mcp_shared.errors import InvalidRequestError
from mcp_shared.server.tools import CallContext, StreamEvent, ToolSpec


class DebateRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    debate_id: DebateId


class NextTurnArgs(DebateRef):
    stream: bool = Field(
        default=False,
        description="Over HTTP, answer text/event-stream with the reply's chunks (over MCP chunks arrive as "
        "progress notifications whenever the caller listens).",
    )


class RunDebateArgs(DebateRef):
    turns: int | None = Field(
        default=None, ge=1, le=10_000, description="Run this many turns (default: to the end)."
    )
    wait: bool = Field(
        default=True,
        description="Wait for the run and return its turns; false starts it in the background and "
        "returns at once.",
    )
    stream: bool = Field(
        default=False, description="Over HTTP, answer text/event-stream with one 'turn' event per turn."
    )


class ListDebatesArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: DebateState | None = Field(default=None, description="Only debates in this state.")
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_POSITION)


def _format_alias(value: object) -> object:
    return FORMAT_ALIASES.get(value.lower(), value.lower()) if isinstance(value, str) else value


class ExportArgs(DebateRef):
    format: Annotated[ExportFormat, BeforeValidator(_format_alias)] = Field(
        default="markdown", description="markdown, json, html or text."
    )


class TurnResult(BaseModel):
    message: Message | None = Field(
        description="The new message; null when the step ended the debate without an LLM call (its budget "
        "did not allow one)."
    )
    debate_id: str
    state: DebateState
    turns_taken: int
    total_turns: int
    next_speaker: str | None
    joined: bool = Field(
        description="True when the turn was already in flight and this call got its message."
    )
    stopped_reason: StoppedReason | None = None
    verdict: Verdict | None = None


class SummaryResult(Summary):
    """summarize_debate's answer: the summary, and the verdict when the debate has reached one."""

    verdict: Verdict | None = None


class RunResult(BaseModel):
    debate_id: str
    state: DebateState
    turns_taken: int
    total_turns: int
    running: bool = Field(
        description="Whether a run still drives the debate toward a target not yet reached."
    )
    stopped: StopReason | None = Field(description="Why the run stopped (None while it goes on).")
    messages: list[Message] = Field(description="Turns produced while this call waited.")


class ExportResult(BaseModel):
    debate_id: str
    format: ExportFormat
    media_type: str
    filename: str
    content: str


def turn_line(message: Message) -> str:
    return f"Round {message.round}, turn {message.turn} · {message.speaker}: {readable(message)}"


def step_line(message: Message) -> str:
    """A short progress line for deliberate: what each step decided rather than all it said."""
    if message.answer is not None:
        return f"Round {message.round} · {message.speaker} answered {message.answer}"
    if message.structured is None:
        return f"Round {message.round} · {message.speaker}: {message.content[:200]}"
    return f"Round {message.round} · {message.speaker}: {readable(message)[:200]}"


def build_tools(orc: Orchestrator) -> list[ToolSpec[Any]]:
    """The tool specs, bound to this process's orchestrator; those naming a debate check its owner first."""

    async def create_debate(args: CreateDebateArgs, call: CallContext) -> DebateView:
        debate = await orc.create(args, caller_organization(call.organization_id))
        return await orc.queries.debate(debate.id)

    async def add_message(args: AddMessageArgs, call: CallContext) -> Message:
        return await orc.lifecycle.add_message(args)

    async def get_next_turn(args: NextTurnArgs, call: CallContext) -> TurnResult:
        async def forward(delta: str) -> None:
            await call.emit(StreamEvent(delta))

        outcome = await orc.turns.next_turn(args.debate_id, on_delta=forward if call.streaming else None)
        return _turn_result(outcome.message, outcome.debate, outcome.joined)

    async def run_debate(args: RunDebateArgs, call: CallContext) -> RunResult:
        async def on_message(message: Message) -> None:
            data = message.model_dump(mode="json")
            await call.emit(StreamEvent(turn_line(message), event="turn", data=data))

        followed = await run_and_follow(orc.runner, args.debate_id, args.turns, on_message, wait=args.wait)
        view = await orc.queries.debate(args.debate_id)
        stopped = followed.stopped
        if stopped == "target_reached" and view.state is DebateState.COMPLETED:
            stopped = "completed"
        return RunResult(
            debate_id=view.id,
            state=view.state,
            turns_taken=view.turns_taken,
            total_turns=view.total_turns,
            running=view.state is DebateState.RUNNING and (view.run_target or 0) > view.turns_taken,
            stopped=stopped,
            messages=followed.messages,
        )

    async def deliberate(args: DeliberateArgs, call: CallContext) -> DeliberateResult:
        create = await deliberation.debate_arguments(args, orc.llm)
        try:
            debate = await orc.create(create, caller_organization(call.organization_id))
        except InvalidRequestError as error:
            raise deliberation.in_own_terms(error, args, create) from None

        async def on_message(message: Message) -> None:
            data = message.model_dump(mode="json")
            await call.emit(StreamEvent(step_line(message), event="turn", data=data))

        await run_and_follow(
            orc.runner, debate.id, None, on_message, wait=args.wait, within=orc.deliberate_wait
        )
        return await deliberation.result(orc.queries, debate.id, args.question)

    async def summarize_debate(args: SummarizeArgs, call: CallContext) -> SummaryResult:
        summary = await orc.summaries.summarize(args)
        view = await orc.queries.debate(args.debate_id)
        return SummaryResult(**summary.model_dump(), verdict=view.verdict)

    async def export_debate(args: ExportArgs, call: CallContext) -> ExportResult:
        doc = await orc.queries.export_document(args.debate_id)
        content, media_type, extension = render(doc, args.format)
        return ExportResult(
            debate_id=args.debate_id,
            format=args.format,
            media_type=media_type,
            filename=f"{args.debate_id}.{extension}",
            content=content,
        )

    async def list_debates(args: ListDebatesArgs, call: CallContext) -> DebateList:
        organization = caller_organization(call.organization_id)
        return await orc.queries.debates(organization, args.state, args.limit, args.offset)

    async def get_debate(args: DebateRef, call: CallContext) -> DebateView:
        return await orc.queries.debate(args.debate_id)

    async def pause_debate(args: DebateRef, call: CallContext) -> DebateView:
        await orc.lifecycle.pause(args.debate_id)
        return await orc.queries.debate(args.debate_id)

    async def resume_debate(args: DebateRef, call: CallContext) -> DebateView:
        await orc.lifecycle.resume(args.debate_id)
        return await orc.queries.debate(args.debate_id)

    async def cancel_debate(args: DebateRef, call: CallContext) -> DebateView:
        await orc.lifecycle.cancel(args.debate_id)
        return await orc.queries.debate(args.debate_id)

    specs: list[ToolSpec[Any]] = [
        ToolSpec(
            "create_debate",
            "Create a debate: a topic, participants (each with a stance, a role: debater, judge or "
            "moderator, and its own provider and model through mcp-llm), optional rules, max_rounds (a "
            "round is one turn of every debater), a protocol (rounds, vote, judged), stop_on_consensus, "
            "visibility, an answer format and budgets. Participants are checked against mcp-llm first.",
            CreateDebateArgs,
            create_debate,
            DebateView,
        ),
        ToolSpec(
            "add_message",
            "Add a message from outside the debate (a moderator's question, an audience remark); every "
            "participant sees it on its next turn.",
            AddMessageArgs,
            add_message,
            Message,
        ),
        ToolSpec(
            "get_next_turn",
            "Run exactly one step: the next debater's turn, the moderator's decision or the judge's verdict, "
            "through mcp-llm; the new message is returned. Chunks of a debater's reply arrive as progress "
            "notifications while it is written.",
            NextTurnArgs,
            get_next_turn,
            TurnResult,
            streams=lambda a: a.stream,
        ),
        ToolSpec(
            "run_debate",
            "Run the debate to the end, or for `turns` turns, reporting each turn as a progress "
            "notification. The run continues in the service if the caller leaves; pause_debate stops it "
            "after the current turn.",
            RunDebateArgs,
            run_debate,
            RunResult,
            streams=lambda a: a.stream and a.wait,
        ),
        ToolSpec(
            "deliberate",
            "Ask a panel of models a question and get its verdict in one call: the panel debates it "
            "(protocol vote by default: independent answers, then revised answers, then a majority vote; "
            "judged: a judge decides), and the result holds the answer, the vote, who dissented and why, "
            "and the cost. Waits at most DELIBERATE_MAX_WAIT seconds; with wait false, or when the debate "
            "takes longer, it returns the debate id (running: true) and the verdict is read later with "
            "get_debate. Progress arrives as one notification per step.",
            DeliberateArgs,
            deliberate,
            DeliberateResult,
        ),
        ToolSpec(
            "summarize_debate",
            "Summarize the debate so far through mcp-llm: each participant's position and key claims, then a "
            "narrative; says which messages it covers, and gives the verdict once there is one.",
            SummarizeArgs,
            summarize_debate,
            SummaryResult,
        ),
        ToolSpec(
            "export_debate",
            "Export the debate (participants, transcript, latest summary, token and cost ledger) as "
            "markdown, json, html or text.",
            ExportArgs,
            export_debate,
            ExportResult,
            read_only=True,
        ),
        ToolSpec(
            "list_debates",
            "List debates, newest first.",
            ListDebatesArgs,
            list_debates,
            DebateList,
            read_only=True,
        ),
        ToolSpec(
            "get_debate",
            "A debate: state, progress, participants, next speaker, the vote so far, the verdict and why it "
            "stopped, and its ledger of tokens and cost.",
            DebateRef,
            get_debate,
            DebateView,
            read_only=True,
        ),
        ToolSpec(
            "pause_debate",
            "Pause a running debate: the turn in flight finishes, no new turn starts until resume_debate.",
            DebateRef,
            pause_debate,
            DebateView,
        ),
        ToolSpec(
            "resume_debate",
            "Resume a paused (or failed) debate; a run that was under way continues.",
            DebateRef,
            resume_debate,
            DebateView,
        ),
        ToolSpec(
            "cancel_debate",
            "Cancel a debate for good; a turn in flight is abandoned and not stored.",
            DebateRef,
            cancel_debate,
            DebateView,
        ),
    ]
    return [owned_tool(spec, orc) for spec in specs]


def _turn_result(message: Message | None, debate: Debate, joined: bool) -> TurnResult:
    return TurnResult(
        message=message,
        debate_id=debate.id,
        state=debate.state,
        turns_taken=debate.turns_taken,
        total_turns=debate.total_turns,
        next_speaker=debate.next_speaker,
        joined=joined,
        stopped_reason=debate.stopped_reason,
        verdict=debate.verdict,
    )

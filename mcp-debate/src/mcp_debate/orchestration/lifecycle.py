"""State changes users ask for (pause, resume, cancel) and messages added from outside the debate."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mcp_debate.domain.models import Debate, DebateId, Message, VisibleText
from mcp_debate.domain.states import Action, DebateState, transition
from mcp_debate.orchestration.lookup import require_debate
from mcp_debate.orchestration.runs import DebateRunner
from mcp_debate.store import Database
from mcp_debate.store import debates as debate_rows
from mcp_debate.store import messages as message_rows
from mcp_shared.errors import InvalidRequestError

DEFAULT_SPEAKER = "Moderator"


class AddMessageArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    debate_id: DebateId
    content: VisibleText = Field(min_length=1, max_length=100_000, description="The message text.")
    speaker: str = Field(
        default=DEFAULT_SPEAKER,
        min_length=1,
        max_length=64,
        pattern=r"^[^\r\n\t]+$",
        description="Who says it (a moderator, the audience...): not one of the participants.",
    )


class Lifecycle:
    def __init__(self, db: Database, runner: DebateRunner) -> None:
        self.db = db
        self.runner = runner

    async def _change(self, debate_id: str, action: Action) -> Debate:
        async with self.db.write() as conn:
            debate = await require_debate(conn, debate_id)
            state = transition(debate.state, action)
            run_target = None if state is DebateState.CANCELLED else debate.run_target
            await debate_rows.update(conn, debate_id, state=state, run_target=run_target)
        return debate.model_copy(update={"state": state, "run_target": run_target})

    async def pause(self, debate_id: str) -> Debate:
        """The turn in flight still lands; no other starts until resume. A run keeps its target."""
        return await self._change(debate_id, Action.PAUSE)

    async def resume(self, debate_id: str) -> Debate:
        """Back to running; a run that was paused (or failed) continues toward its target."""
        debate = await self._change(debate_id, Action.RESUME)
        if debate.run_target is not None:
            self.runner.ensure(debate_id)
        return debate

    async def cancel(self, debate_id: str) -> Debate:
        """Final: the run stops and the turn in flight is abandoned unwritten."""
        debate = await self._change(debate_id, Action.CANCEL)
        await self.runner.stop(debate_id)
        return debate

    async def add_message(self, args: AddMessageArgs) -> Message:
        async with self.db.write() as conn:
            debate = await require_debate(conn, args.debate_id)
            transition(debate.state, Action.ADD_MESSAGE)
            if any(p.name.casefold() == args.speaker.casefold() for p in debate.participants):
                raise InvalidRequestError(
                    f"speaker '{args.speaker}' is a participant of this debate; participants speak through "
                    "get_next_turn",
                    status=422,
                    details={"field": "speaker"},
                )
            message = await message_rows.insert(
                conn, debate_id=debate.id, kind="external", speaker=args.speaker, content=args.content
            )
            await debate_rows.update(conn, debate.id)
        return message

"""``watch_debate``: wait for a debate to change, for views that can only call tools (the MCP App).

An MCP App talks to the service only through its host's bridge (``tools/call``, ``resources/read``):
it cannot open an event stream. This tool gives it the same thing without polling: it returns at once
when messages after ``after_seq`` exist or the debate has ended, else it waits on the hub for the next
committed change (or ``wait_seconds``) and returns what changed. It is listed for apps only
(``_meta.ui.visibility: ["app"]``), so models never see it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from pydantic import BaseModel, ConfigDict, Field

from mcp_debate.domain.models import MAX_POSITION, DebateId, DebateView, Message
from mcp_debate.domain.states import DebateState
from mcp_debate.orchestrator import Orchestrator
from mcp_shared.server.tools import CallContext

FINAL = (DebateState.COMPLETED, DebateState.CANCELLED)


class WatchArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    debate_id: DebateId
    after_seq: int = Field(default=0, ge=0, le=MAX_POSITION, description="The last message already shown.")
    wait_seconds: float = Field(
        default=25.0,
        ge=0.0,
        le=50.0,
        description="How long to wait for a change (MCP calls time out at ~60 s).",
    )


class WatchResult(BaseModel):
    debate: DebateView
    messages: list[Message] = Field(description="Messages after after_seq, in order.")
    changed: bool = Field(description="False when the wait ended with nothing new.")


def make_watch(orc: Orchestrator) -> Callable[[WatchArgs, CallContext], Awaitable[WatchResult]]:
    """The tool's handler over one orchestrator."""

    async def watch_debate(args: WatchArgs, call: CallContext) -> WatchResult:
        q = orc.queries
        with orc.hub.watch(args.debate_id) as watch:
            page = await q.messages(args.debate_id, args.after_seq)
            view = await q.debate(args.debate_id)
            if page.messages or view.state in FINAL or args.wait_seconds == 0:
                return WatchResult(debate=view, messages=page.messages, changed=bool(page.messages))
            try:
                async with asyncio.timeout(args.wait_seconds):
                    while True:
                        event = await watch.queue.get()
                        if event.change is not None:
                            break
            except TimeoutError:
                return WatchResult(debate=view, messages=[], changed=False)
        page = await q.messages(args.debate_id, args.after_seq)
        return WatchResult(debate=await q.debate(args.debate_id), messages=page.messages, changed=True)

    return watch_debate

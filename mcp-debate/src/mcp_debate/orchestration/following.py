"""Starting a run and following it: the turns it commits as they land, until it stops or the wait is over.

Shared by ``run_debate`` and ``deliberate``. The run belongs to the service, not to the caller: a
caller that stops following (its wait is over, it disconnected) leaves the run going.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from mcp_debate.domain.models import Message
from mcp_debate.orchestration.runs import DebateRunner, StopReason
from mcp_shared.errors import InternalError

OnMessage = Callable[[Message], Awaitable[None]]


@dataclass(slots=True)
class Followed:
    messages: list[Message] = field(default_factory=list)
    """Turns committed while the caller followed."""
    stopped: StopReason | None = None
    """Why the run stopped (``target_reached`` also when the target was the debate's end); None: the wait
    ended first, or the caller did not wait."""


async def run_and_follow(
    runner: DebateRunner,
    debate_id: str,
    turns: int | None,
    on_message: OnMessage,
    *,
    wait: bool = True,
    within: float | None = None,
) -> Followed:
    followed = Followed()
    with runner.watch(debate_id) as events:
        debate = await runner.start(debate_id, turns)
        target = debate.run_target or debate.turns_taken
        if not wait:
            return followed
        try:
            async with asyncio.timeout(within):
                while True:
                    event = await events.get()
                    if event.message is not None:
                        followed.messages.append(event.message)
                        await on_message(event.message)
                        if event.message.turn is not None and event.message.turn >= target:
                            followed.stopped = "target_reached"
                            return followed
                        continue
                    if event.error is not None:
                        raise event.error
                    if event.stopped == "error":
                        raise InternalError(f"the run of debate {debate_id} stopped on an internal error")
                    followed.stopped = event.stopped
                    return followed
        except TimeoutError:
            return followed

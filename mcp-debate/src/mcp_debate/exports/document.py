"""Everything an export shows, gathered once: the debate with its ledger, its messages, its latest summary."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from mcp_debate.domain.models import DebateView, Message, Participant, Summary
from mcp_debate.domain.verdict import Verdict


class ExportDocument(BaseModel):
    schema_version: Literal["mcp-debate/export/v1"] = "mcp-debate/export/v1"
    exported_at: str
    verdict: Verdict | None = Field(default=None, description="The debate's verdict (also in debate).")
    debate: DebateView
    messages: list[Message]
    summary: Summary | None

    def participant(self, message: Message) -> Participant | None:
        if message.participant is None:
            return None
        return self.debate.participants[message.participant]

    def progress_line(self) -> str:
        d = self.debate
        rounds = f"round {d.current_round} of {d.max_rounds}"
        return f"{d.state.value} · {rounds} · {d.turns_taken} of {d.total_turns} turns"


def usage_line(message: Message) -> str:
    """Who answered and what it cost, for one turn; a turn cut at its reply cap says so."""
    return (
        f"{message.provider}/{message.model} · {message.input_tokens} in / {message.output_tokens} out "
        f"tokens · ${message.cost_usd:.6f} · {message.latency_ms:.0f} ms"
    ) + (f" · {TRUNCATED}" if message.truncated else "")


TRUNCATED = "cut off at the reply cap"
"""How exports and the CLI mark a turn whose reply hit its token cap (finish_reason ``length``)."""


def stance_label(participant: Participant) -> str:
    """The stance; judges and moderators are named by their role."""
    if participant.role != "debater":
        return participant.role + (f"; {participant.stance}" if participant.stance else "")
    return participant.stance or "no assigned stance"

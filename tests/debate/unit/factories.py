"""Debates, participants, messages and summaries built in memory for unit tests."""

from __future__ import annotations

from mcp_debate.context import prompts
from mcp_debate.domain.models import Debate, Message, Participant, SideSummary, Summary
from mcp_debate.domain.states import DebateState

NOW = "2026-01-01T00:00:00.000Z"


def participant(
    position: int, name: str, stance: str | None, max_tokens: int = 10_000, **extra: object
) -> Participant:
    values: dict[str, object] = {
        "position": position,
        "name": name,
        "stance": stance,
        "provider": "mock",
        "model": "mock-1",
        "system_prompt": None,
        "temperature": 0.7,
        "max_tokens": max_tokens,
        "max_output_tokens": 256,
        **extra,
    }
    return Participant.model_validate(values)


def debate(turns_taken: int = 0, max_tokens: int = 10_000, rounds: int = 10, **extra: object) -> Debate:
    return Debate(
        id="deb_test",
        name="Test",
        topic="Should cities ban cars?",
        rules=["Be concise."],
        max_rounds=rounds,
        state=DebateState.RUNNING,
        turns_taken=turns_taken,
        created_at=NOW,
        updated_at=NOW,
        participants=[
            participant(0, "Pro", "for a ban", max_tokens, **extra),
            participant(1, "Con", "against a ban", max_tokens, **extra),
            participant(2, "Judge", None, max_tokens, **extra),
        ],
    )


def turn(seq: int, speaker: int, text: str, d: Debate) -> Message:
    return Message(
        id=seq,
        debate_id=d.id,
        seq=seq,
        kind="turn",
        round=(seq - 1) // 3 + 1,
        turn=seq,
        participant=speaker,
        speaker=d.participants[speaker].name,
        content=text,
        created_at=NOW,
    )


def history(d: Debate, count: int, words: int = 12) -> list[Message]:
    return [turn(i + 1, i % 3, f"point {i + 1}: " + "argument " * words, d) for i in range(count)]


def summary(
    d: Debate,
    through: int,
    sides: list[SideSummary] | None = None,
    narrative: str = "",
    text: str = "claims",
) -> Summary:
    """A context summary of ``d``'s first ``through`` messages, rendered as participants receive it."""
    drafted = Summary(
        id=7,
        debate_id=d.id,
        scope="context",
        participant=0,
        covers_from_seq=1,
        covers_to_seq=through,
        message_count=through,
        sides=sides
        if sides is not None
        else [
            SideSummary(participant=p.name, stance=p.stance, text=text, source="llm") for p in d.participants
        ],
        narrative=narrative,
        content="",
        created_at=NOW,
    )
    return drafted.model_copy(update={"content": prompts.render_summary(drafted)})

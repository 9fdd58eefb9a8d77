"""Debates and their participants."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from mcp_debate.domain import schedule
from mcp_debate.domain.clock import utc_now
from mcp_debate.domain.models import (
    Debate,
    DebateListItem,
    EndReason,
    LLMConfig,
    Participant,
    StoppedReason,
    episode_of,
)
from mcp_debate.domain.states import DebateState
from mcp_debate.domain.verdict import AnswerFormat, Ballot, Verdict
from mcp_debate.store.changes import note
from mcp_debate.store.connection import Connection, Dialect, Row, row, rows, scalar

_DEBATE_COLUMNS = (
    "id, name, topic, rules, max_rounds, state, turns_taken, run_target, last_error, summarizer, "
    "organization_id, protocol, visibility, stop_on_consensus, answer_format, budget_usd, budget_tokens, "
    "phase, end_reason, verdict, ballots, created_at, updated_at, stance_check, episode_id"
)
_PARTICIPANT_COLUMNS = (
    "position, name, stance, provider, model, system_prompt, temperature, max_tokens, max_output_tokens, "
    "context_window, role, input_price, output_price"
)


# SQLite 3.40 (Debian 12) has no string_agg; PostgreSQL has no group_concat.
_ROLES: dict[Dialect, str] = {"sqlite": "group_concat(p.role)", "postgres": "string_agg(p.role, ',')"}

_BALLOTS = TypeAdapter(list[Ballot])


def _placeholders(columns: str) -> str:
    return ", ".join("?" for _ in columns.split(","))


async def insert(conn: Connection, debate: Debate) -> None:
    await conn.execute(
        f"INSERT INTO debates ({_DEBATE_COLUMNS}) VALUES ({_placeholders(_DEBATE_COLUMNS)})",  # noqa: S608
        (
            debate.id,
            debate.name,
            debate.topic,
            json.dumps(debate.rules),
            debate.max_rounds,
            debate.state.value,
            debate.turns_taken,
            debate.run_target,
            None,
            debate.summarizer.model_dump_json() if debate.summarizer else None,
            debate.organization_id,
            debate.protocol,
            debate.visibility,
            int(debate.stop_on_consensus),
            debate.answer_format.model_dump_json() if debate.answer_format else None,
            debate.budget_usd,
            debate.budget_tokens,
            debate.phase,
            None,
            None,
            "[]",
            debate.created_at,
            debate.updated_at,
            int(debate.stance_check),
            debate.episode_id,
        ),
    )
    await conn.executemany(
        f"INSERT INTO participants (debate_id, {_PARTICIPANT_COLUMNS}) "  # noqa: S608
        f"VALUES (?, {_placeholders(_PARTICIPANT_COLUMNS)})",
        [
            (
                debate.id,
                p.position,
                p.name,
                p.stance,
                p.provider,
                p.model,
                p.system_prompt,
                p.temperature,
                p.max_tokens,
                p.max_output_tokens,
                p.context_window,
                p.role,
                p.input_price,
                p.output_price,
            )
            for p in debate.participants
        ],
    )
    note(debate.id, created=True)


def stopped_reason(state: DebateState, end_reason: EndReason | None) -> StoppedReason | None:
    """Cancelled and failed come from the state; the other reasons are stored when the rounds end."""
    if state is DebateState.CANCELLED:
        return "cancelled"
    if state is DebateState.FAILED:
        return "failed"
    return end_reason


def _debate(row: Row, participants: list[Participant]) -> Debate:
    state = DebateState(row["state"])
    return Debate(
        id=row["id"],
        name=row["name"],
        topic=row["topic"],
        rules=json.loads(row["rules"]),
        max_rounds=row["max_rounds"],
        state=state,
        turns_taken=row["turns_taken"],
        run_target=row["run_target"],
        last_error=json.loads(row["last_error"]) if row["last_error"] else None,
        summarizer=LLMConfig.model_validate_json(row["summarizer"]) if row["summarizer"] else None,
        organization_id=row["organization_id"],
        protocol=row["protocol"],
        visibility=row["visibility"],
        stop_on_consensus=bool(row["stop_on_consensus"]),
        stance_check=bool(row["stance_check"]),
        episode_id=row["episode_id"] or episode_of(row["id"]),
        answer_format=AnswerFormat.model_validate_json(row["answer_format"])
        if row["answer_format"]
        else None,
        budget_usd=row["budget_usd"],
        budget_tokens=row["budget_tokens"],
        phase=row["phase"],
        stopped_reason=stopped_reason(state, row["end_reason"]),
        verdict=Verdict.model_validate_json(row["verdict"]) if row["verdict"] else None,
        ballots=_BALLOTS.validate_json(row["ballots"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        participants=participants,
    )


async def get(conn: Connection, debate_id: str) -> Debate | None:
    found = await row(conn, f"SELECT {_DEBATE_COLUMNS} FROM debates WHERE id = ?", (debate_id,))  # noqa: S608
    if found is None:
        return None
    people = await rows(
        conn,
        f"SELECT {_PARTICIPANT_COLUMNS} FROM participants WHERE debate_id = ? ORDER BY position",  # noqa: S608
        (debate_id,),
    )
    return _debate(found, [Participant(**dict(r)) for r in people])


async def organization_of(conn: Connection, debate_id: str) -> str | None:
    """The organization owning a debate; None when there is no such debate."""
    found = await scalar(conn, "SELECT organization_id FROM debates WHERE id = ?", (debate_id,))
    return None if found is None else str(found)


async def list_page(
    conn: Connection, organization: str, state: DebateState | None, limit: int, offset: int
) -> tuple[list[DebateListItem], int]:
    """An organization's debates, newest first, with the total count for paging."""
    where, params = "WHERE d.organization_id = ?", [organization]
    if state:
        where, params = f"{where} AND d.state = ?", [*params, state.value]
    total = int(await scalar(conn, f"SELECT COUNT(*) FROM debates d {where}", params))  # noqa: S608
    found = await rows(
        conn,
        "SELECT d.id, d.name, d.topic, d.state, d.turns_taken, d.max_rounds, d.protocol, d.phase, "  # noqa: S608
        "d.end_reason, d.created_at, d.updated_at, "
        f"(SELECT {_ROLES[conn.dialect]} FROM participants p WHERE p.debate_id = d.id) AS roles "
        f"FROM debates d {where} ORDER BY d.created_at DESC, d.id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    items = [_list_item(r) for r in found]
    return items, total


def _list_item(r: Row) -> DebateListItem:
    state = DebateState(r["state"])
    roles: list[schedule.Role] = r["roles"].split(",") if r["roles"] else []
    if state is DebateState.COMPLETED:
        total = r["turns_taken"]
    elif r["phase"] == "closing":
        total = r["turns_taken"] + 1
    else:
        total = schedule.planned_steps(r["protocol"], roles, r["max_rounds"])
    return DebateListItem(
        id=r["id"],
        name=r["name"],
        topic=r["topic"],
        state=state,
        turns_taken=r["turns_taken"],
        total_turns=total,
        protocol=r["protocol"],
        stopped_reason=stopped_reason(state, r["end_reason"]),
        created_at=r["created_at"],
        updated_at=r["updated_at"],
    )


@dataclass(frozen=True, slots=True)
class Progress:
    """The mutable part of a debate, read cheaply where a turn commits."""

    state: DebateState
    turns_taken: int
    run_target: int | None


async def progress(conn: Connection, debate_id: str) -> Progress | None:
    found = await row(conn, "SELECT state, turns_taken, run_target FROM debates WHERE id = ?", (debate_id,))
    return None if found is None else Progress(DebateState(found[0]), found[1], found[2])


async def ids_with_active_runs(conn: Connection) -> list[str]:
    """Debates a run was driving when the service last stopped."""
    found = await rows(
        conn,
        "SELECT id FROM debates WHERE state = ? AND run_target IS NOT NULL ORDER BY updated_at",
        (DebateState.RUNNING.value,),
    )
    return [r[0] for r in found]


async def clear_reached_target(conn: Connection, debate_id: str) -> None:
    """End a run whose target is reached, unless a new target was set meanwhile."""
    await conn.execute(
        "UPDATE debates SET run_target = NULL, updated_at = ? WHERE id = ? AND run_target <= turns_taken",
        (utc_now(), debate_id),
    )
    note(debate_id)


_UNSET: Any = object()


async def update(
    conn: Connection,
    debate_id: str,
    *,
    state: DebateState | None = None,
    turns_taken: int | None = None,
    run_target: int | None = _UNSET,
    last_error: dict[str, Any] | None = _UNSET,
    phase: schedule.Phase | None = None,
    end_reason: EndReason | None = _UNSET,
    verdict: Verdict | None = _UNSET,
    ballots: list[Ballot] | None = None,
) -> None:
    """Change some of a debate's mutable fields; ``updated_at`` always moves."""
    sets: list[str] = ["updated_at = ?"]
    params: list[Any] = [utc_now()]
    if state is not None:
        sets.append("state = ?")
        params.append(state.value)
    if turns_taken is not None:
        sets.append("turns_taken = ?")
        params.append(turns_taken)
    if run_target is not _UNSET:
        sets.append("run_target = ?")
        params.append(run_target)
    if last_error is not _UNSET:
        sets.append("last_error = ?")
        params.append(json.dumps(last_error) if last_error is not None else None)
    if phase is not None:
        sets.append("phase = ?")
        params.append(phase)
    if end_reason is not _UNSET:
        sets.append("end_reason = ?")
        params.append(end_reason)
    if verdict is not _UNSET:
        sets.append("verdict = ?")
        params.append(verdict.model_dump_json() if verdict is not None else None)
    if ballots is not None:
        sets.append("ballots = ?")
        params.append(_BALLOTS.dump_json(ballots).decode())
    await conn.execute(f"UPDATE debates SET {', '.join(sets)} WHERE id = ?", [*params, debate_id])  # noqa: S608
    note(debate_id)

"""The debate state machine, in one place.

::

    created ──► running ◄──► paused
                  │  ▲          │
                  │  └─ failed ◄┤      (resume retries after the cause is fixed)
                  ▼             ▼
              completed     cancelled  (cancel from any state that is not final)

Every state change goes through :func:`transition`; a change that makes no sense is an
``invalid_request`` (HTTP 409) naming the current state and the states it is allowed from.
"""

from __future__ import annotations

from enum import StrEnum

from mcp_shared.errors import InvalidRequestError


class DebateState(StrEnum):
    """Where a debate is in its life."""

    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in (DebateState.COMPLETED, DebateState.CANCELLED)


class Action(StrEnum):
    """What a caller (or the orchestrator) wants to do with a debate."""

    TAKE_TURN = "take a turn in"
    RUN = "run"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    ADD_MESSAGE = "add a message to"
    COMMIT_TURN = "commit a turn to"
    COMPLETE = "complete"
    FAIL = "fail"


S = DebateState

_TRANSITIONS: dict[Action, dict[DebateState, DebateState]] = {
    Action.TAKE_TURN: {S.CREATED: S.RUNNING, S.RUNNING: S.RUNNING},
    Action.RUN: {S.CREATED: S.RUNNING, S.RUNNING: S.RUNNING},
    Action.PAUSE: {S.RUNNING: S.PAUSED},
    Action.RESUME: {S.PAUSED: S.RUNNING, S.FAILED: S.RUNNING},
    Action.CANCEL: {
        S.CREATED: S.CANCELLED,
        S.RUNNING: S.CANCELLED,
        S.PAUSED: S.CANCELLED,
        S.FAILED: S.CANCELLED,
    },
    Action.ADD_MESSAGE: {S.CREATED: S.CREATED, S.RUNNING: S.RUNNING, S.PAUSED: S.PAUSED},
    # A turn already in flight when the debate is paused still lands: pause stops the next turn.
    Action.COMMIT_TURN: {S.RUNNING: S.RUNNING, S.PAUSED: S.PAUSED},
    Action.COMPLETE: {S.RUNNING: S.COMPLETED, S.PAUSED: S.COMPLETED},
    Action.FAIL: {S.RUNNING: S.FAILED, S.PAUSED: S.FAILED},
}

_HINTS: dict[DebateState, str] = {
    S.PAUSED: "resume it first",
    S.FAILED: "resume it to retry",
    S.COMPLETED: "it has ended",
    S.CANCELLED: "it has ended",
    S.CREATED: "it has not started",
}


def allowed_from(action: Action) -> list[DebateState]:
    """The states in which ``action`` makes sense."""
    return list(_TRANSITIONS[action])


def can(state: DebateState, action: Action) -> bool:
    return state in _TRANSITIONS[action]


def transition(state: DebateState, action: Action) -> DebateState:
    """The state after ``action``, or an ``invalid_request`` that names the current state."""
    target = _TRANSITIONS[action].get(state)
    if target is None:
        hint = _HINTS.get(state)
        raise InvalidRequestError(
            f"cannot {action.value} a debate that is {state.value}" + (f": {hint}" if hint else ""),
            status=409,
            details={
                "field": "debate_id",
                "state": state.value,
                "allowed_from": [s.value for s in allowed_from(action)],
            },
        )
    return target

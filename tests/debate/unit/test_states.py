"""The state machine: every allowed transition, and a clear refusal naming the state for the rest."""

from __future__ import annotations

import pytest

from mcp_debate.domain.states import Action, DebateState, can, transition
from mcp_shared.errors import InvalidRequestError

S = DebateState

ALLOWED = {
    (S.CREATED, Action.TAKE_TURN): S.RUNNING,
    (S.RUNNING, Action.TAKE_TURN): S.RUNNING,
    (S.CREATED, Action.RUN): S.RUNNING,
    (S.RUNNING, Action.RUN): S.RUNNING,
    (S.RUNNING, Action.PAUSE): S.PAUSED,
    (S.PAUSED, Action.RESUME): S.RUNNING,
    (S.FAILED, Action.RESUME): S.RUNNING,
    (S.CREATED, Action.CANCEL): S.CANCELLED,
    (S.RUNNING, Action.CANCEL): S.CANCELLED,
    (S.PAUSED, Action.CANCEL): S.CANCELLED,
    (S.FAILED, Action.CANCEL): S.CANCELLED,
    (S.CREATED, Action.ADD_MESSAGE): S.CREATED,
    (S.RUNNING, Action.ADD_MESSAGE): S.RUNNING,
    (S.PAUSED, Action.ADD_MESSAGE): S.PAUSED,
    (S.RUNNING, Action.COMMIT_TURN): S.RUNNING,
    (S.PAUSED, Action.COMMIT_TURN): S.PAUSED,
    (S.RUNNING, Action.COMPLETE): S.COMPLETED,
    (S.PAUSED, Action.COMPLETE): S.COMPLETED,
    (S.RUNNING, Action.FAIL): S.FAILED,
    (S.PAUSED, Action.FAIL): S.FAILED,
}


@pytest.mark.parametrize(("state", "action"), [(s, a) for s in DebateState for a in Action])
def test_every_pair_is_either_a_transition_or_a_refusal_naming_the_state(
    state: DebateState, action: Action
) -> None:
    expected = ALLOWED.get((state, action))
    assert can(state, action) == (expected is not None)
    if expected is not None:
        assert transition(state, action) is expected
        return
    with pytest.raises(InvalidRequestError) as raised:
        transition(state, action)
    error = raised.value
    assert error.status == 409
    assert f"is {state.value}" in error.message
    payload = error.to_payload()["error"]
    assert payload["type"] == "invalid_request"
    assert payload["state"] == state.value
    assert payload["field"] == "debate_id"
    assert payload["allowed_from"] == [s.value for s, a in ALLOWED if a is action]


def test_final_states_accept_nothing_a_user_can_ask() -> None:
    for state in (S.COMPLETED, S.CANCELLED):
        assert state.is_final
        for action in (
            Action.TAKE_TURN,
            Action.RUN,
            Action.PAUSE,
            Action.RESUME,
            Action.CANCEL,
            Action.ADD_MESSAGE,
        ):
            assert not can(state, action)


def test_refusals_say_what_to_do() -> None:
    with pytest.raises(InvalidRequestError, match="paused: resume it first"):
        transition(S.PAUSED, Action.TAKE_TURN)
    with pytest.raises(InvalidRequestError, match="completed: it has ended"):
        transition(S.COMPLETED, Action.ADD_MESSAGE)

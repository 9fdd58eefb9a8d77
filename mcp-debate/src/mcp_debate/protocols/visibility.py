"""What each participant is shown of the debate before its step.

- ``all``: every message before the step (the plain debate).
- ``independent_first`` (the ``vote`` default): in round 1 a debater sees no other debater's turn, so
  every first answer is its own; from round 2 on, everything.
- ``answers_only``: as ``independent_first``, and other debaters' turns are shown as their final answer
  alone (``Final answer: 7``), never their reasoning.

Judges and moderators see everything. Moderators' decisions reach debaters as a readable line
(``Decision: continue. ...``), not as the JSON the moderator wrote. Messages keep their ``seq``, so a
context summary still says exactly which messages it covers.
"""

from __future__ import annotations

from mcp_debate.domain.models import Debate, Message, Participant
from mcp_debate.protocols.prompts import NO_ANSWER, readable


def visible(debate: Debate, me: Participant, history: list[Message], round_no: int) -> list[Message]:
    """``history`` (messages in order) as ``me`` is to see it before its step in round ``round_no``."""
    roles = {p.position: p.role for p in debate.participants}
    shown = []
    for message in history:
        role = roles.get(message.participant) if message.participant is not None else None
        if role in ("judge", "moderator"):
            if message.participant != me.position:
                shown.append(message.model_copy(update={"content": readable(message)}))
            else:
                shown.append(message)
            continue
        if me.role != "debater" or role != "debater" or message.participant == me.position:
            shown.append(message)
            continue
        if debate.visibility != "all" and message.round == 1 and round_no == 1:
            continue  # round 1 is answered alone
        if debate.visibility == "answers_only":
            shown.append(
                message.model_copy(update={"content": f"Final answer: {message.answer or NO_ANSWER}"})
            )
        else:
            shown.append(message)
    return shown

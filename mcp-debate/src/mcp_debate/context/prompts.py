"""The words sent to participants: system prompt, per-turn instruction, transcript lines, summaries.

Identity and stance are stated in the system prompt *and* again in every turn's instruction:
models drift from a stance given only once, especially under peer pressure.
"""

from __future__ import annotations

import re
from typing import Any

from mcp_debate.domain.models import Debate, Message, Participant, Summary
from mcp_shared.models import ChatMessage


def normalize_rules(raw: str | list[str] | dict[str, Any] | None) -> list[str]:
    """Rules as a list of lines, whatever shape the caller gave them in."""
    if raw is None:
        return []
    if isinstance(raw, str):
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if isinstance(raw, dict):
        return [f"{key}: {value}" for key, value in raw.items()]
    return [str(rule).strip() for rule in raw if str(rule).strip()]


def stance_phrase(stance: str | None) -> str:
    return stance or "no assigned stance: argue the position you find strongest"


def _roster(debate: Debate) -> str:
    return ", ".join(f"{p.name} ({p.stance or 'no assigned stance'})" for p in debate.debaters)


def system_prompt(debate: Debate, me: Participant) -> str:
    lines = [
        f"You are {me.name}, a participant in a debate.",
        "",
        f"Topic: {debate.topic}",
        f"Your stance: {stance_phrase(me.stance)}",
        f"Participants, in speaking order: {_roster(debate)}.",
        f"Format: {debate.max_rounds} rounds; in each round every participant speaks once.",
    ]
    if debate.rules:
        lines += ["Rules:", *(f"- {rule}" for rule in debate.rules)]
    lines += [
        "",
        'Other speakers\' messages reach you as "Name: text". Write only your own contribution, '
        "without a name prefix.",
        INSTRUCTION_NOTE,
    ]
    if me.system_prompt:
        lines += ["", me.system_prompt]
    return "\n".join(lines)


INSTRUCTION_LABEL = "[Instruction]"
"""Marks the per-turn instruction in the last user message: it is the moderator's word to the speaker,
not a line of the transcript. Unlabelled and merged into the previous speaker's message, it was copied
back into turns by a small model ("Round 3 of 3. You are Commuter; ...")."""
INSTRUCTION_NOTE = (
    f'A line starting with "{INSTRUCTION_LABEL}" tells you what to write now: follow it, never repeat it.'
)
"""Not called the moderator's: SmolLM2-135M then opened its turn with "The moderator will provide you..."."""
MAX_STOPS = 4
"""mcp-llm accepts at most four stop sequences."""
_LEAKED_HEAD = re.compile(
    rf"^\s*(?:{re.escape(INSTRUCTION_LABEL)}\s*)?Round \d+ of \d+\.?"
    r"(?:\s*You are [^;.\n]+; your stance: [^\n]*?\.(?=\s|$))?"
    r"(?:\s*(?:This is the final round: give your closing statement|Open with your position and your "
    r"strongest arguments|Respond to the points made since your last turn and advance your position)\.)?",
    re.IGNORECASE,
)


def labelled(instruction: str) -> str:
    return f"{INSTRUCTION_LABEL} {instruction}"


def stop_sequences(debate: Debate, me: Participant) -> list[str]:
    """Where a turn has ended for sure: the next speaker's line, a new instruction, a new round.

    The next speakers come first (a model that runs on writes the next turn), then the instruction's
    marks; at most :data:`MAX_STOPS`.
    """
    others = [p.name for p in debate.participants if p.position != me.position]
    after = [p.name for p in debate.participants if p.position > me.position]
    ordered = after + [n for n in others if n not in after]
    stops = [f"\n{ordered[0]}:"] if ordered else []
    stops += [f"\n{INSTRUCTION_LABEL}", "\nRound "]
    stops += [f"\n{name}:" for name in ordered[1:]]
    return stops[:MAX_STOPS]


REPEAT_MIN_CHARS = 20
"""A line this long written a second time ends the turn: small models loop until their reply cap."""


def clean_turn(text: str, debate: Debate, me: Participant) -> str:
    """A turn as it is stored: a copied instruction removed, and cut where the model went on to write
    another participant's turn or a new instruction (when the provider ignored the stop sequences), or
    began to repeat itself."""
    others = [p.name for p in debate.participants if p.position != me.position]
    kept: list[str] = []
    seen: set[str] = set()
    for raw in strip_own_prefix(text, me).splitlines():
        line = _strip_labels(raw, [me.name]) if _speaker_label(raw, [me.name]) else raw
        if raw.strip() and not line:
            continue  # a bare "Ada:" line in Ada's own turn: the model re-labelling itself
        key = " ".join(line.split()).casefold()
        if len(key) >= REPEAT_MIN_CHARS and key in seen:
            break  # a runaway loop: the model writes the same lines again until its cap
        seen.add(key)
        head = _LEAKED_HEAD.match(line)
        if head:
            line = line[head.end() :].strip()
            if not line:
                continue
        if line.startswith(INSTRUCTION_LABEL):
            break
        label = _speaker_label(line, others)
        if label:
            if any(k.strip() for k in kept):
                break  # the model went on to write another participant's turn
            # A mislabelled opening: the model imitated the transcript under another name. Stored with
            # the label, it would reach everyone as "Ben: Ada: ..." and the confusion would spread.
            line = _strip_labels(line, others)
            if not line:
                continue
        kept.append(line)
    return strip_own_prefix("\n".join(kept), me)


def _label_forms(name: str) -> tuple[str, ...]:
    return (f"{name}:", f"**{name}:**", f"**{name}**:")


def _speaker_label(line: str, names: list[str]) -> str | None:
    """The "Name:" (or bold "**Name:**") a line opens with, for one of ``names``."""
    lowered = line.lstrip().lower()
    forms = (form for name in names for form in _label_forms(name))
    return next((form for form in forms if lowered.startswith(form.lower())), None)


def _strip_labels(line: str, names: list[str]) -> str:
    while label := _speaker_label(line, names):
        line = line.lstrip()[len(label) :].strip()
    return line


def turn_instruction(debate: Debate, me: Participant, round_no: int, spoken_before: bool) -> str:
    stance = stance_phrase(me.stance)
    head = f"Round {round_no} of {debate.max_rounds}. You are {me.name}; your stance: {stance}."
    if round_no >= debate.max_rounds and debate.max_rounds > 1:
        task = "This is the final round: give your closing statement."
    elif not spoken_before:
        task = "Open with your position and your strongest arguments."
    else:
        task = "Respond to the points made since your last turn and advance your position."
    return f"{head} {task}"


def transcript_line(message: Message) -> str:
    return f"{message.speaker}: {message.content}"


def as_chat(message: Message, me: Participant) -> ChatMessage:
    """Own turns as ``assistant`` (verbatim); everything else as ``user`` prefixed with the speaker."""
    if message.kind == "turn" and message.participant == me.position:
        return ChatMessage(role="assistant", content=message.content)
    return ChatMessage(role="user", content=transcript_line(message))


def opening_line(debate: Debate) -> str:
    return f'The debate on "{debate.topic}" has begun.'


def strip_own_prefix(text: str, me: Participant) -> str:
    """Models sometimes imitate the transcript and start with their own name; drop it."""
    stripped = text.lstrip()
    for prefix in _label_forms(me.name):
        if stripped.lower().startswith(prefix.lower()):
            return stripped[len(prefix) :].lstrip()
    return text.strip()


def render_summary(summary: Summary) -> str:
    """The summary as participants receive it: which messages it replaces, each side, then the narrative."""
    lines = [
        f"Summary of the debate so far (messages #{summary.covers_from_seq}–#{summary.covers_to_seq}, "
        "which it replaces):",
        "Positions and key claims:",
    ]
    for side in summary.sides:
        stance = f" ({side.stance})" if side.stance else ""
        lines.append(f"- {side.participant}{stance}: {side.text}")
    if summary.narrative:
        lines.append(f"Narrative: {summary.narrative}")
    return "\n".join(lines)


SUMMARY_SYSTEM = (
    "You write faithful, neutral summaries of debates. Keep every participant's current position and "
    "their key claims and evidence; never drop a participant, never invent a claim, never take sides. "
    "You reply with one JSON object and nothing else."
)
SUMMARY_EXAMPLE = (
    '{"positions": {"<name>": "<current position; key claims>", ...}, "narrative": "<how it went>"}'
)


def summary_request(debate: Debate, previous: Summary | None, messages: list[Message], words: int) -> str:
    """Asks for JSON: a position per side read from that side's latest turn, and the narrative apart
    (asked for as lines, a small model wrote the narrative inside a participant's line)."""
    parts = [f"Topic: {debate.topic}", f"Participants: {_roster(debate)}."]
    if previous is not None:
        parts += ["", render_summary(previous)]
    if messages:
        parts += ["", f"Messages #{messages[0].seq}–#{messages[-1].seq}:"]
        parts += [f"#{m.seq} {transcript_line(m)}" for m in messages]
    names = ", ".join(p.name for p in debate.participants)
    parts += [
        "",
        f"Summarize in at most {words} words. For each participant ({names}) give its current position "
        "and key claims, taken from its LATEST message (positions change: do not repeat an earlier one). "
        "In narrative, say in one or two sentences how the debate developed.",
        f"Reply with one JSON object and nothing else, in this form:\n{SUMMARY_EXAMPLE}",
    ]
    return "\n".join(parts)


def summary_reask(problem: str) -> str:
    return (
        f"Your reply could not be read: {problem}. Reply again with only the JSON object, in the form "
        "asked for."
    )

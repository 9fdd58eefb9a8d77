"""Mock models that answer questions, so debate protocols and their evaluation are testable offline.

- ``mock-answer-<x>`` argues like ``mock-1`` and always ends with ``Final answer: <x>``.
- ``mock-judge`` reads the ``Final answers`` block of the last message that has one (lines
  ``- NAME: ANSWER``) and replies with verdict JSON naming the majority answer (the first listed among
  equals); asked for a moderator's decision (the message names a ``"decision"`` field) it replies
  ``stop`` when every listed answer agrees, else ``continue``. ``mock-judge-bad-<n>``: the same, but its
  first ``n`` replies in a conversation (while it holds fewer than ``n`` assistant messages) are not JSON.
  Asked to grade (a message names a ``"score"`` and the last has an ``Answer:`` line, as the gateway's quality
  judge asks) it replies ``{"score": s}`` with ``s`` = (words of the answer mod 11) / 10.
  ``mock-judge-slow-<ms>`` is ``mock-judge`` answering after ``<ms>`` milliseconds.
- ``mock-math-<p>`` answers the first ``What is <arithmetic>?`` in the conversation correctly with
  probability ``p`` %, decided by a hash of the expression and the participant (the name after
  ``You are`` in the system message), so the same participant always gives the same answer and
  different participants err differently; a wrong answer is the right one plus or minus 1 to 3.

- ``mock-leak`` misbehaves like a small model given an unlabelled instruction: it copies the
  instruction (the last user message's line starting ``[Instruction]`` or ``Round``) back first, then
  argues like ``mock-1``, then writes a line for the last other speaker it saw (``NAME: ...``) and a new
  instruction, so a caller's stop sequences and cleaning can be tested.

- ``mock-drift`` argues like ``mock-1`` and ends with "On reflection, I argue against my stance."
  unless told to argue for its stance; every mock asked a stance check (a message with ``Stance
  given:`` asking for ``"consistent"``) finds a turn inconsistent exactly when it says so.
- Every answering mock (and ``mock-1``) asked for a debate summary as JSON (the last user message names
  ``"positions"`` and ``"narrative"``) replies with that JSON: each speaker's position is the start of
  its latest ``#N NAME: text`` line, so summaries are testable offline. ``mock-summary-bad`` never does
  (to exercise the summarizer's re-ask and fallback).

The arithmetic is parsed with :mod:`ast` and computed exactly with fractions; nothing is evaluated.
"""

from __future__ import annotations

import ast
import hashlib
import json
import operator
import re
from collections import Counter
from collections.abc import Callable, Sequence
from fractions import Fraction

from mcp_shared.models import ChatMessage

_ANSWER = re.compile(r"^mock-answer-(.+)$")
_JUDGE = re.compile(r"^mock-judge(?:-bad-(\d{1,3}))?(?:-slow-\d{1,7})?$")
_MATH = re.compile(r"^mock-math-(\d{1,3})$")
_QUESTION = re.compile(r"What is ([-+*/().\d\s]{1,200})\?")
_SPEAKER = re.compile(r"\bYou are ([^,.;:\n]{1,64})")
_ANSWERS_HEADER = re.compile(r"^\s*final answers\b", re.IGNORECASE)
_ANSWER_LINE = re.compile(r"^\s*-\s*(.+?):\s*(.*?)\s*$")
_NUMBERED = re.compile(r"^#\d+ ([^:\n]{1,64}): (.+)$")
_PREFIX = re.compile(r"^([A-Z][\w \-]{0,40}): \S")
_OFFSETS = (-3, -2, -1, 1, 2, 3)
_MAX_DIGITS = 30

_BINARY: dict[type[ast.operator], Callable[[Fraction, Fraction], Fraction]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def answer_text(model: str, messages: Sequence[ChatMessage], argument: str) -> str | None:
    """The reply of an answering mock model; None when ``model`` is not one (``argument``: mock-1's text)."""
    last_user = next((m.content for m in reversed(messages) if m.role == "user"), "")
    if '"consistent"' in last_user and "Stance given:" in last_user:
        return _stance_check(last_user)
    if model == "mock-drift":
        told = "arguing for your stance" in last_user
        return argument if told else f"{argument}\nOn reflection, I argue against my stance."
    if model == "mock-summary-bad":
        return "The debate went back and forth; both sides made points."
    if '"positions"' in last_user and '"narrative"' in last_user:
        return _summary(messages)
    if found := _ANSWER.match(model):
        return f"{argument}\nFinal answer: {found.group(1)}"
    if found := _JUDGE.match(model):
        if "\nAnswer:\n" in last_user and any('"score"' in m.content for m in messages):
            return judge_score(last_user)
        bad = int(found.group(1) or 0)
        if sum(m.role == "assistant" for m in messages) < bad:
            return "I have read the debate carefully and the answer seems clear to me."
        return _judge(messages)
    if model == "mock-leak":
        return _leak(messages, argument)
    if found := _MATH.match(model):
        return _math(min(int(found.group(1)), 100), messages) or argument
    return None


# -- the judge ----------------------------------------------------------------------------------------


def listed_answers(messages: Sequence[ChatMessage]) -> tuple[list[tuple[str, str]], str]:
    """The ``- NAME: ANSWER`` lines under the last ``Final answers`` header, and the message holding them."""
    for message in reversed(messages):
        lines = message.content.splitlines()
        starts = [i for i, line in enumerate(lines) if _ANSWERS_HEADER.match(line)]
        if not starts:
            continue
        listed = []
        for line in lines[starts[-1] + 1 :]:
            found = _ANSWER_LINE.match(line)
            if found is None:
                break
            listed.append((found.group(1), found.group(2)))
        return listed, message.content
    return [], ""


def _judge(messages: Sequence[ChatMessage]) -> str:
    listed, asked = listed_answers(messages)
    answered = [(name, answer) for name, answer in listed if answer and not answer.startswith("(")]
    counts = Counter(answer for _, answer in answered)
    if '"decision"' in asked:
        agree = len(answered) >= 2 and len(counts) == 1 and len(answered) == len(listed)
        reason = "the debaters agree" if agree else "the debaters still disagree"
        return json.dumps({"decision": "stop" if agree else "continue", "reason": reason})
    if not counts:
        return json.dumps(
            {"answer": "no answer given", "winner": None, "confidence": 0.0, "rationale": "no answers"}
        )
    top = max(counts.values())
    answer = next(a for _, a in answered if counts[a] == top)  # the first listed among equals
    winner = next(name for name, a in answered if a == answer)
    return json.dumps(
        {
            "answer": answer,
            "winner": winner,
            "confidence": round(top / len(answered), 2),
            "rationale": f"{top} of {len(answered)} debaters answered {answer}.",
            "assessments": {name: f"answered {a}" for name, a in answered},
        }
    )


def judge_score(asked: str) -> str:
    """A grader's reply, derived from the graded answer (the text after the last ``Answer:`` line) so
    tests can predict it: ``{"score": (words in the answer mod 11) / 10}``, from 0.0 to 1.0."""
    answer = asked.rpartition("\nAnswer:\n")[2]
    return json.dumps({"score": (len(answer.split()) % 11) / 10})


def _stance_check(asked: str) -> str:
    """Against its stance exactly when the turn says so (``mock-drift``'s first try)."""
    turn = asked.partition("Turn:\n")[2].partition("\n\nDoes the turn")[0]
    against = "against my stance" in turn
    reason = "the turn says it argues against its stance." if against else "the turn argues its stance."
    return json.dumps({"consistent": not against, "reason": reason})


def _summary(messages: Sequence[ChatMessage]) -> str:
    asked = next((m.content for m in messages if m.role == "user" and '"positions"' in m.content), "")
    latest: dict[str, str] = {}
    for line in asked.splitlines():
        if found := _NUMBERED.match(line):
            latest[found.group(1)] = " ".join(found.group(2).split()[:12])
    spoken = ", ".join(latest) or "nobody"
    return json.dumps({"positions": latest, "narrative": f"{spoken} stated their positions in turn."})


def _leak(messages: Sequence[ChatMessage], argument: str) -> str:
    last_user = next((m.content for m in reversed(messages) if m.role == "user"), "")
    lines = last_user.splitlines()
    instruction = next((line for line in lines if line.startswith(("[Instruction]", "Round "))), "")
    copied = instruction.removeprefix("[Instruction]").strip()
    speakers = [found.group(1) for line in lines if (found := _PREFIX.match(line))]
    other = f"\n{speakers[-1]}: I agree with every word of that." if speakers else ""
    return f"{copied}\n{argument}{other}\n[Instruction] Round 99 of 99. Next speaker."


# -- arithmetic ---------------------------------------------------------------------------------------


def _math(percent: int, messages: Sequence[ChatMessage]) -> str | None:
    text = "\n".join(m.content for m in messages)
    question = _QUESTION.search(text)
    if question is None:
        return None
    expression = " ".join(question.group(1).split())
    try:
        right = evaluate(expression)
    except (ValueError, ZeroDivisionError):
        return None
    system = "\n".join(m.content for m in messages if m.role == "system")
    speaker = _SPEAKER.search(system)
    name = speaker.group(1).strip() if speaker else ""
    digest = hashlib.sha256(f"{expression}\x1f{name}".encode()).digest()
    correct = int.from_bytes(digest[:8], "big") % 100 < percent
    value = right if correct else right + _OFFSETS[digest[8] % len(_OFFSETS)]
    shown = format_number(value)
    return f"Working it out step by step: {expression} = {shown}.\nFinal answer: {shown}"


def evaluate(expression: str) -> Fraction:
    """The exact value of ``+ - * /`` arithmetic on decimal numbers, with parentheses and signs."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        raise ValueError(f"not arithmetic: {expression!r}") from None
    return _value(tree.body)


def _value(node: ast.expr) -> Fraction:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        digits = str(node.value)
        if len(digits) > _MAX_DIGITS:
            raise ValueError("number too long")
        return Fraction(digits)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _value(node.operand)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_value(node.left), _value(node.right))
    raise ValueError("only + - * / on numbers")


def format_number(value: Fraction) -> str:
    """An integer as such; anything else as a decimal with at most six places."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.6f}".rstrip("0").rstrip(".")

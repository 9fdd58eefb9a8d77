"""Reading a debater's final answer out of its turn, and comparing answers.

Extraction, first match wins:

1. the debate's own ``pattern`` (its last match in the reply), when it has one; a caller's pattern
   runs under the ``regex`` module with a time limit, so no pattern can stall the service;
2. the last line that says ``Final answer: ...`` (any case, markdown emphasis allowed);
3. the last ``\\boxed{...}`` (how maths models like to answer);
4. the last line that says ``the answer ... is ...`` (quoted text skipped) or ``answer: ...``;
5. the value at the end of the last line that ends in ``= ...`` (``2+3 = 5``);
6. with ``choices``: the choice the reply names last.

A found answer that is itself a calculation (``2+3 = 5``) is read as what follows its last ``=``; one
that is a template slot (``<your answer>``, a model echoing its instruction) is no answer.

The answer is cut to one line and stripped of emphasis, quotes and a trailing full stop. With
``choices`` it must be one of them (compared without case, or named by exactly one of them as a
word), else the turn has no answer. Answers are compared by :func:`normalize`: numbers by value
(``7``, ``7.0``, ``1,000``, ``$7``), text without case or extra spaces.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import regex

from mcp_debate.domain.verdict import AnswerFormat

MAX_ANSWER = 200
SEARCHED_CHARS = 100_000
"""Replies longer than this are searched in their last part only."""
PATTERN_SECONDS = 0.2
"""The longest a caller's pattern may search one reply; past it the pattern finds nothing."""

_FINAL = re.compile(r"final\s+answer\s*(?:is)?\s*[:：\-–]?\s*(.+)", re.IGNORECASE)
_BOXED = re.compile(r"\\boxed\{([^{}]{1,200})\}")
# "the answer ... is X", skipping quoted text (the question, often quoted back) before the "is".
_ANSWER_IS = re.compile(
    r"\b(?:the|my|our)\s+answer\b(?:\"[^\"\n]*\"|[^\"\n])*?\bis\s*:?\s+(.+)"
    r"|\banswer\s*:\s*(.+)",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"<[^<>]*>")
_EQUALS = re.compile(r"=\s*([^\s=]{1,40}?)\s*[.!]?\s*$")
_EMPHASIS = re.compile(r"^[\s*_`\"'“”‘’]+|[\s*_`\"'“”‘’]+$")
_NUMBER = re.compile(r"^[-+]?\$?[-+]?\d[\d,]*(\.\d+)?%?$|^[-+]?\$?\.\d+%?$")


def extract(text: str, fmt: AnswerFormat | None = None) -> str | None:
    """The final answer a reply states, cleaned; None when it states none that counts."""
    text = text[-SEARCHED_CHARS:]
    choices = fmt.choices if fmt else None
    for found in _candidates(text, fmt):
        answer = clean(found)
        if not answer or _PLACEHOLDER.fullmatch(answer):  # "<your answer>": the instruction, echoed
            continue
        if choices is None:
            return answer
        chosen = match_choice(answer, choices)
        if chosen is not None:
            return chosen
    if choices:
        return _last_named_choice(text, choices)
    return None


def _candidates(text: str, fmt: AnswerFormat | None) -> list[str]:
    """Possible answers, most trusted first."""
    found: list[str] = []
    for line in reversed(text.splitlines()):
        if hit := _FINAL.search(line):
            found.append(hit.group(1))
            break
    if boxed := _BOXED.findall(text):
        found.append(boxed[-1])
    for line in reversed(text.splitlines()):
        if hit := _ANSWER_IS.search(line):
            found.append(hit.group(1) or hit.group(2))
            break
    for line in reversed(text.splitlines()):
        if hit := _EQUALS.search(line):
            found.append(hit.group(1))
            break
    ours = [_result(f) for f in found]
    if fmt and fmt.pattern:
        last = _last_match(fmt.pattern, text)
        return ([last] if last is not None else []) + ours
    return ours


def _result(found: str) -> str:
    """``2+3 = 5`` read as ``5``."""
    return found.rsplit("=", 1)[-1] if "=" in found else found


def _last_match(pattern: str, text: str) -> str | None:
    """The last match of a caller's pattern (its group when it has one), searched under a time limit."""
    compiled = regex.compile(pattern, regex.IGNORECASE | regex.MULTILINE)
    last = None
    try:
        for last in compiled.finditer(text, timeout=PATTERN_SECONDS):  # noqa: B007
            pass
    except TimeoutError:
        return None
    if last is None:
        return None
    return str(last.group(1) if compiled.groups else last.group(0))


def clean(raw: str) -> str:
    """One line, no emphasis or quotes around it, no trailing full stop, at most ``MAX_ANSWER`` characters."""
    line = raw.strip().splitlines()[0] if raw.strip() else ""
    line = _EMPHASIS.sub("", line)
    line = line.rstrip(".!。").strip()
    line = _EMPHASIS.sub("", line)
    return " ".join(line.split())[:MAX_ANSWER]


def normalize(answer: str) -> str:
    """The form answers are compared in: numbers by value, text without case or extra spaces."""
    text = " ".join(answer.split()).casefold()
    if _NUMBER.match(text):
        digits = text.replace(",", "").replace("$", "").rstrip("%")
        try:
            value = Decimal(digits)
        except InvalidOperation:
            return text
        normal = value.normalize()
        shown = format(normal, "f")
        return shown + ("%" if text.endswith("%") else "")
    return text.rstrip(".")


def match_choice(answer: str, choices: list[str]) -> str | None:
    """The choice an answer is: equal without case, else the one choice it names as a word."""
    key = normalize(answer)
    for choice in choices:
        if normalize(choice) == key:
            return choice
    named = [c for c in choices if _names(answer, c)]
    return named[0] if len(named) == 1 else None


def _names(text: str, choice: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(choice)}(?!\w)", text, re.IGNORECASE) is not None


def _last_named_choice(text: str, choices: list[str]) -> str | None:
    best: tuple[int, str] | None = None
    for choice in choices:
        hits = list(re.finditer(rf"(?<!\w){re.escape(choice)}(?!\w)", text, re.IGNORECASE))
        if hits and (best is None or hits[-1].start() > best[0]):
            best = (hits[-1].start(), choice)
    return best[1] if best else None


def check_pattern(pattern: str) -> str | None:
    """Why a caller's pattern is unusable (None when it compiles and has at most one group)."""
    try:
        compiled = regex.compile(pattern)
    except regex.error as exc:
        return f"not a valid regular expression: {exc}"
    if compiled.groups > 1:
        return "use at most one capturing group (the answer)"
    return None

"""Is a stated answer the right one? Numbers compared by value, choices by letter or text.

Answers are read from replies the way debates read them (:mod:`mcp_debate.protocols.answers`), so a
``single`` answer and a debater's ballot are judged alike.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Literal

from mcp_debate.evaluation.symbolic import equivalent, plain
from mcp_debate.protocols.answers import match_choice, normalize

_NUMBER_IN = re.compile(r"[-+]?\$?\d[\d,]*(?:\.\d+)?")
_LETTER = re.compile(r"^\(?([A-Za-z])[).:]?$")


def number(text: str) -> Decimal | None:
    """The value of an answer that is a number (``1,000``, ``$7``, ``7.0``, ``-3``), else None."""
    shown = normalize(text)
    try:
        return Decimal(shown.rstrip("%"))
    except InvalidOperation:
        return None


def as_number(text: str) -> Decimal | None:
    """A number answer, or the one number a short answer holds (``42 apples``, ``x = 42``)."""
    value = number(text)
    if value is not None:
        return value
    found = _NUMBER_IN.findall(text)
    if len(found) == 1 and len(text) <= 40:
        return number(found[0])
    return None


def choice_of(answer: str, choices: list[str]) -> str | None:
    """The choice an answer names: by its text, or by its letter (``B``, ``(b)``, ``B.``)."""
    chosen = match_choice(answer, choices)
    if chosen is not None:
        return chosen
    letter = _LETTER.match(answer.strip())
    if letter is not None:
        index = ord(letter.group(1).upper()) - ord("A")
        if 0 <= index < len(choices):
            return choices[index]
    return None


def is_correct(
    predicted: str | None,
    expected: str,
    choices: list[str] | None = None,
    check: Literal["auto", "expression"] = "auto",
) -> bool:
    """Whether ``predicted`` states ``expected``; no answer is never right."""
    if predicted is None or not predicted.strip():
        return False
    if check == "expression":
        return equivalent(predicted, expected)
    if choices:
        right = choice_of(expected, choices)
        return right is not None and choice_of(predicted, choices) == right
    want = number(expected)
    if want is not None:
        got = as_number(predicted)
        if got is None:
            got = as_number(plain(predicted))  # $252$, \boxed{252}
        return got is not None and got == want
    return normalize(predicted) == normalize(expected)

"""Questions from packages that ship them in their wheels, read or generated offline.

- ``gsm_symbolic`` and ``basic_arithmetic``: reasoning-gym's generators (GSM8K-style word problems
  with their numbers drawn afresh, and arithmetic expressions), seeded, so the same seed gives the
  same items; every answer is a number.
- ``champ``: the 270 competition-math problems of CHAMP (Mao et al., 2024) in ``champ-dataset``.
  Their answers are free-form; an item is *checkable* when its answer is a number (also
  ``C(10, 5), or equivalently 252``), yes/no, or a formula sympy reads (``(a^3+2b)/(3a)``). The
  other 118 (``No integer solutions``, ``x=6, y=5``) would need a judge; ``answers: all`` keeps
  them with a plain text comparison, which undercounts.

Both packages come with ``mcp-debate[datasets]``; without it these kinds are refused by name.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Literal

from mcp_debate.evaluation.datasets import DatasetError, Item

REASONING_GYM = ("gsm_symbolic", "basic_arithmetic")
CHAMP_VERSION = "v0"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_EQUIVALENTLY = re.compile(r",?\s*or equivalently\s+(-?\d[\d,]*(?:\.\d+)?)$")
_WORDY = re.compile(r"[A-Za-z]{4,}")


def reasoning_gym_items(kind: str, count: int, seed: int) -> list[Item]:
    """``count`` items of reasoning-gym's ``kind`` generator, the same for the same seed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its dependencies' SyntaxWarnings on import
            import reasoning_gym
    except ImportError:
        raise DatasetError(f"dataset.kind: {kind} needs mcp-debate[datasets] (reasoning-gym)") from None
    generated = reasoning_gym.create_dataset(kind, size=count, seed=seed)
    items = []
    for i, entry in enumerate(generated):
        items.append(Item(f"{kind}-{seed}-{i}", str(entry["question"]).strip(), str(entry["answer"]).strip()))
    return items


def champ_items(count: int, answers: Literal["checkable", "all"]) -> list[Item]:
    """CHAMP's problems in its own order, the checkable ones only unless ``answers`` is ``all``."""
    try:
        import champ_dataset
    except ImportError:
        raise DatasetError("dataset.kind: champ needs mcp-debate[datasets] (champ-dataset)") from None
    problems: dict[str, Any] = champ_dataset.load(CHAMP_VERSION).problems
    items = []
    for identifier, problem in problems.items():
        item = champ_item(identifier, str(problem.text), str(problem.answer))
        if item is None and answers == "all":
            item = Item(identifier, str(problem.text).strip(), str(problem.answer).strip())
        if item is not None:
            items.append(item)
        if len(items) >= count:
            break
    return items


def champ_item(identifier: str, question: str, answer: str) -> Item | None:
    """The item with the answer in a form the checker compares, or None when only a judge could."""
    shown = answer.strip().rstrip(".")
    plain = shown.replace(",", "")
    if _NUMBER.fullmatch(plain):
        return Item(identifier, question.strip(), plain)
    equivalent = _EQUIVALENTLY.search(shown)
    if equivalent is not None:
        return Item(identifier, question.strip(), equivalent.group(1).replace(",", ""))
    if shown.lower() in ("yes", "no"):
        return Item(identifier, question.strip(), shown.lower())
    if len(shown) <= 80 and not _WORDY.search(shown.replace("floor", "").replace("sqrt", "")):
        from mcp_debate.evaluation.symbolic import parse

        if parse(shown) is not None:
            return Item(identifier, question.strip(), shown, check="expression")
    return None

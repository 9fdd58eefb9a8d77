"""The questions an evaluation asks: a seeded arithmetic generator, or the user's own JSONL.

Arithmetic follows Du et al. (2023), *Improving Factuality and Reasoning in Language Models through
Multiagent Debate*: ``a+b*c+d-e*f`` with integers 0-29, asked as ``What is <expression>?``. The same
seed always gives the same items, so runs are comparable and resumable.

A JSONL file has one object a line: ``question`` and ``answer`` (strings or numbers), optional
``choices`` (a list of at least two strings) and ``id``; a bad line is an error naming its number
and field, never a skipped item.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

MAX_ITEMS = 100_000
MAX_QUESTION = 4000


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    question: str
    answer: str
    choices: list[str] | None = None
    check: Literal["auto", "expression"] = "auto"
    """``expression``: the answer is a formula, compared by value (:mod:`.symbolic`)."""


class DatasetError(ValueError):
    """A dataset that cannot be read; the message names the line and field."""


def arithmetic(count: int, seed: int) -> list[Item]:
    """``count`` questions ``What is a+b*c+d-e*f?`` with integers 0-29, the same for the same seed."""
    rng = random.Random(seed)
    items = []
    for i in range(count):
        a, b, c, d, e, f = (rng.randint(0, 29) for _ in range(6))
        expression = f"{a}+{b}*{c}+{d}-{e}*{f}"
        items.append(Item(f"arith-{seed}-{i}", f"What is {expression}?", str(a + b * c + d - e * f)))
    return items


def jsonl(path: Path, limit: int | None = None) -> list[Item]:
    """The items of a JSONL file (at most ``limit``)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from None
    parsed: list[tuple[int, object]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if len(parsed) >= (limit or MAX_ITEMS):
            break
        try:
            parsed.append((number, json.loads(line)))
        except ValueError as exc:
            raise DatasetError(f"{path}:{number}: not JSON ({exc})") from None
    return _items(str(path), parsed, ":")


def objects(where: str, entries: list[dict[str, object]]) -> list[Item]:
    """Items from objects already parsed (the ``evaluate`` tool's inline entries)."""
    return _items(where, list(enumerate(entries, 1)), "")


def _items(where: str, entries: list[tuple[int, object]], separator: str) -> list[Item]:
    items: list[Item] = []
    seen: set[str] = set()
    for number, entry in entries:
        at = f"{where}:{number}" if separator else f"{where}[{number - 1}]"
        item = _item(at, number, entry)
        if item.id in seen:
            raise DatasetError(f"{at}: id: {item.id!r} appears twice")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise DatasetError(f"{where}: no items")
    return items


def _item(where: str, number: int, entry: object) -> Item:
    if not isinstance(entry, dict):
        raise DatasetError(f"{where}: expected an object with question and answer")
    question, answer = entry.get("question"), entry.get("answer")
    if not isinstance(question, str) or not question.strip() or len(question) > MAX_QUESTION:
        raise DatasetError(f"{where}: question: a non-empty string of at most {MAX_QUESTION} characters")
    if isinstance(answer, bool) or not isinstance(answer, str | int | float) or not str(answer).strip():
        raise DatasetError(f"{where}: answer: a non-empty string or a number")
    choices = entry.get("choices")
    if choices is not None and (
        not isinstance(choices, list)
        or len(choices) < 2
        or not all(isinstance(c, str) and c.strip() for c in choices)
    ):
        raise DatasetError(f"{where}: choices: a list of at least two non-empty strings")
    raw_id = entry.get("id", f"line-{number}")
    if not isinstance(raw_id, str | int) or isinstance(raw_id, bool):
        raise DatasetError(f"{where}: id: a string or a number")
    return Item(str(raw_id), question.strip(), str(answer).strip(), choices)

"""The items a dataset spec names, from whichever source its ``kind`` is."""

from __future__ import annotations

from mcp_debate.evaluation.config import Entry, EvalConfig
from mcp_debate.evaluation.datasets import Item, arithmetic, jsonl, objects
from mcp_debate.evaluation.packaged import REASONING_GYM, champ_items, reasoning_gym_items


def dataset(config: EvalConfig) -> list[Item]:
    spec = config.dataset
    if spec.kind == "arithmetic":
        return arithmetic(spec.items, spec.seed)
    if spec.kind in REASONING_GYM:
        return reasoning_gym_items(spec.kind, spec.items, spec.seed)
    if spec.kind == "champ":
        return champ_items(spec.items, spec.answers)
    if spec.kind == "items":
        assert spec.entries is not None
        return entries(spec.entries[: spec.items])
    assert spec.path is not None
    return jsonl(spec.path, spec.items)


def entries(given: list[Entry]) -> list[Item]:
    """Inline entries, checked like the lines of a JSONL file."""
    return objects("entries", [e.model_dump(exclude_none=True) for e in given])

"""From finished outcomes to the report: per method accuracy and its uncertainty beside what it spent.

The JSON report, the markdown table and the matched-compute statements are made here from the
results file alone, so a replayed or resumed run reports exactly what its outcomes say. Items that
failed count as wrong (a method that errs is not rewarded for it) and are counted under ``errors``.
"""

from __future__ import annotations

from typing import Any

from mcp_debate.evaluation.config import EvalConfig, MethodSpec
from mcp_debate.evaluation.stats import Accuracy, difference_is_clear

SAME_TOKENS = 1.1
"""Within this ratio of mean tokens, two methods count as spending the same."""
FLIP_KEYS = ("wrong_to_right", "right_to_wrong", "stayed_right", "stayed_wrong")


def build(
    config: EvalConfig,
    records: list[dict[str, Any]],
    item_ids: list[str],
    matched: dict[str, int],
    *,
    partial: bool,
) -> dict[str, Any]:
    """The report of ``records`` (the last outcome of each method and item) over the dataset's items."""
    wanted = set(item_ids)
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        if record["item"] in wanted:
            latest[(record["method"], record["item"])] = record
    methods = [_method(spec, latest, item_ids, matched) for spec in config.methods]
    if config.feedback is not None:  # how many items' correctness mcp-llm took, per method
        for spec, shown in zip(config.methods, methods, strict=True):
            shown["feedback"] = sum(
                1
                for (name, _), record in latest.items()
                if name == spec.name and record.get("feedback") == "recorded"
            )
    return {
        "dataset": config.dataset.shown(),
        "items": len(item_ids),
        "partial": partial or any(m["items"] < len(item_ids) for m in methods),
        "methods": methods,
        "statements": statements(config, methods),
    }


def _method(
    spec: MethodSpec,
    latest: dict[tuple[str, str], dict[str, Any]],
    item_ids: list[str],
    matched: dict[str, int],
) -> dict[str, Any]:
    rows = [latest[(spec.name, i)] for i in item_ids if (spec.name, i) in latest]
    accuracy = Accuracy(sum(1 for r in rows if r["correct"]), len(rows))
    low, high = accuracy.interval
    tokens = sum(int(r["tokens"]) for r in rows)
    flips = None
    if spec.is_debate and spec.rounds > 1:
        flips = {key: sum((r.get("flips") or {}).get(key, 0) for r in rows) for key in FLIP_KEYS}
    return {
        "name": spec.name,
        "kind": spec.kind,
        "models": spec.models(),
        "k": spec.k or matched.get(spec.name) if spec.kind == "self-consistency" else None,
        "rounds": spec.rounds if spec.is_debate else None,
        "items": len(rows),
        "correct": accuracy.correct,
        "accuracy": round(accuracy.value, 4),
        "standard_error": round(accuracy.standard_error, 4),
        "interval_95": [round(low, 4), round(high, 4)],
        "total_tokens": tokens,
        "mean_tokens": round(tokens / len(rows), 1) if rows else 0.0,
        "cost_usd": round(sum(float(r["cost_usd"]) for r in rows), 6),
        "calls": sum(int(r["calls"]) for r in rows),
        "seconds": round(sum(float(r["seconds"]) for r in rows), 1),
        "errors": sum(1 for r in rows if r.get("error")),
        "flips": flips,
    }


def statements(config: EvalConfig, methods: list[dict[str, Any]]) -> list[str]:
    """Plain sentences: who beats whom, whether it is more than noise, and whether it spent more to."""
    by_name = {m["name"]: m for m in methods}
    pairs: list[tuple[str, str, str]] = []
    singles = [m.name for m in config.methods if m.kind == "single"]
    for spec in config.methods:
        if spec.kind != "single":
            pairs.extend((spec.name, s, "") for s in singles)
        if spec.kind == "self-consistency" and spec.match is not None and spec.k is None:
            pairs.append((spec.match, spec.name, " (k matched to its tokens)"))
    out = []
    for a_name, b_name, note in pairs:
        a, b = by_name[a_name], by_name[b_name]
        if not a["items"] or not b["items"]:
            continue
        out.append(_compare(a, b, note))
    for m in methods:
        if m["flips"] is not None:
            f = m["flips"]
            out.append(
                f"{m['name']}: between the first and the last round {f['wrong_to_right']} answers went "
                f"wrong → right and {f['right_to_wrong']} right → wrong "
                f"({f['stayed_right']} stayed right, {f['stayed_wrong']} stayed wrong)."
            )
    return out


def _compare(a: dict[str, Any], b: dict[str, Any], note: str) -> str:
    acc_a, acc_b = Accuracy(a["correct"], a["items"]), Accuracy(b["correct"], b["items"])
    ratio = a["mean_tokens"] / b["mean_tokens"] if b["mean_tokens"] else float("inf")
    spend = f"{ratio:.1f}× the tokens per item" if ratio != float("inf") else "tokens where it spent none"
    points = (acc_a.value - acc_b.value) * 100
    if not difference_is_clear(acc_a, acc_b):
        return (
            f"{a['name']} vs {b['name']}{note}: {points:+.1f} points, within noise (less than twice the "
            f"standard error of the difference), at {spend}."
        )
    better, worse = (a, b) if points > 0 else (b, a)
    more = (better["mean_tokens"] / worse["mean_tokens"]) if worse["mean_tokens"] else float("inf")
    if more > SAME_TOKENS:
        return (
            f"{better['name']} beats {worse['name']}{note} by {abs(points):.1f} points, but spends "
            f"{more:.1f}× the tokens per item: part of the gain may be compute, not method."
        )
    return (
        f"{better['name']} beats {worse['name']}{note} by {abs(points):.1f} points at no more tokens "
        f"({more:.2f}× the tokens per item)."
    )


def markdown(report: dict[str, Any]) -> str:
    """The report as a markdown table and the statements under it."""
    lines = [
        "| method | models | accuracy | ± SE | 95 % interval | items | tokens | tokens/item | cost $ "
        "| time (s) | errors |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in report["methods"]:
        name = (
            m["name"]
            + (f" (k={m['k']})" if m["k"] else "")
            + (f" ({m['rounds']} rounds)" if (m["rounds"] or 0) > 1 else "")
        )
        low, high = m["interval_95"]
        lines.append(
            f"| {name} | {', '.join(m['models'])} | {m['accuracy'] * 100:.1f} % "
            f"| {m['standard_error'] * 100:.1f} | {low * 100:.1f}–{high * 100:.1f} % | {m['items']} "
            f"| {m['total_tokens']} | {m['mean_tokens']:.0f} | {m['cost_usd']:.4f} | {m['seconds']:.1f} "
            f"| {m['errors']} |"
        )
    if report["partial"]:
        lines.append("\nPartial: not every method has answered every item yet (resume with the same --out).")
    if report["statements"]:
        lines.append("")
        lines.extend(f"- {s}" for s in report["statements"])
    lines.append("\ntime: seconds summed over items (items run concurrently); failed items count as wrong.")
    return "\n".join(lines) + "\n"

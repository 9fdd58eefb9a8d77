"""The sequential test against known truth: seeded simulations of many experiments, looked at often."""

from __future__ import annotations

import random

from mcp_llm.experiments.sequential import Arm, decide, interval


def _run(rng: random.Random, p_a: float, p_b: float, n_max: int, every: int, alpha: float, m: int) -> str:
    """One experiment read after every ``every`` samples per variant; the first decision that is not
    ``collecting`` or ``no difference`` is final (that is what an operator acting on it would do)."""
    wins = {"a": 0, "b": 0}
    for n in range(1, n_max + 1):
        wins["a"] += rng.random() < p_a
        wins["b"] += rng.random() < p_b
        if n % every == 0:
            decision = decide([Arm("a", n, wins["a"] / n), Arm("b", n, wins["b"] / n)], alpha, m)
            if decision.startswith("winner"):
                return decision
    return "none"


def test_equal_variants_rarely_get_a_winner_however_often_the_report_is_read() -> None:
    rng = random.Random(20210401)
    alpha, runs = 0.05, 1000
    false = sum(_run(rng, 0.5, 0.5, 1000, 10, alpha, 50) != "none" for _ in range(runs))
    # 100 looks per run; a fixed-sample test read this often would exceed alpha many times over.
    assert false / runs <= alpha, false / runs


def test_a_real_difference_is_found_and_the_right_variant_named() -> None:
    rng = random.Random(7)
    results = [_run(rng, 0.65, 0.5, 1500, 10, 0.05, 50) for _ in range(100)]
    assert results.count("winner: a") >= 80, results.count("winner: a")
    assert results.count("winner: b") == 0


def test_lower_is_better_metrics_name_the_lower_mean() -> None:
    arms = [Arm("fast", 400, 0.2), Arm("slow", 400, 0.6)]
    assert decide(arms, 0.05, 100, higher_is_better=False) == "winner: fast"
    assert decide(arms, 0.05, 100, higher_is_better=True) == "winner: slow"
    assert decide(arms, 0.05, 500) == "collecting"


def test_intervals_cover_the_mean_and_shrink() -> None:
    wide = interval(Arm("x", 50, 0.5), 0.05, 50)
    narrow = interval(Arm("x", 5000, 0.5), 0.05, 50)
    assert wide[0] < 0.5 < wide[1] and narrow[0] < 0.5 < narrow[1]
    assert narrow[1] - narrow[0] < (wide[1] - wide[0]) / 5

"""When the evidence names a winner: confidence sequences that stay valid however often one looks.

Each variant's mean gets an always-valid confidence sequence — an interval that contains the true
mean at every sample size at once with probability at least 1 - level — from the two-sided
normal-mixture boundary of Howard, Ramdas, McAuliffe and Sekhon, "Time-uniform, nonparametric,
nonasymptotic confidence sequences", Annals of Statistics 49(2), 2021 (eq. 14; Robbins' mixture):

    |S_n - n*mu| <= sqrt((v + rho) * log((v + rho) / (rho * level**2))),   v = sigma**2 * n

Metric values are bounded (booleans are 0/1, numbers have a declared range), scaled to [0, 1], so
each is sub-Gaussian with sigma**2 = 1/4 and no distributional assumption is needed. ``rho`` tunes
where the boundary is tightest; ``sigma**2 * min_samples`` puts that at the minimum sample size.

A winner is declared when its sequence lies entirely on the better side of every other variant's,
with each sequence at level alpha / K (K variants): for two equal variants that requires one of
the sequences to miss its mean, which by the union bound happens with probability at most alpha —
at any look, so the report may be read after every request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SIGMA2 = 0.25
"""Variance proxy of a value in [0, 1] (Hoeffding's lemma)."""


@dataclass(frozen=True, slots=True)
class Arm:
    name: str
    n: int
    mean: float
    """In [0, 1]: the metric's mean scaled to its range."""


def radius(n: int, level: float, min_samples: int) -> float:
    """Half-width of the always-valid interval for the mean of ``n`` values in [0, 1]."""
    if n <= 0:
        return math.inf
    rho = SIGMA2 * max(min_samples, 1)
    v = SIGMA2 * n
    return math.sqrt((v + rho) * math.log((v + rho) / (rho * level**2))) / n


def interval(arm: Arm, level: float, min_samples: int) -> tuple[float, float]:
    r = radius(arm.n, level, min_samples)
    return max(0.0, arm.mean - r), min(1.0, arm.mean + r)


def decide(arms: list[Arm], alpha: float, min_samples: int, higher_is_better: bool = True) -> str:
    """``collecting`` until every variant has ``min_samples`` values, then ``winner: X`` when the
    evidence separates X from every other variant, else ``no difference at this sample size``."""
    if len(arms) < 2 or any(a.n < min_samples for a in arms):
        return "collecting"
    sign = 1.0 if higher_is_better else -1.0
    level = alpha / len(arms)
    best = max(arms, key=lambda a: sign * a.mean)
    low, high = interval(best, level, min_samples)
    for other in arms:
        if other is best:
            continue
        o_low, o_high = interval(other, level, min_samples)
        separated = low > o_high if higher_is_better else high < o_low
        if not separated:
            return "no difference at this sample size"
    return f"winner: {best.name}"

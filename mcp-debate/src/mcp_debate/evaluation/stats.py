"""Accuracy with its uncertainty: the binomial standard error and the Wilson 95 % interval."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Accuracy:
    correct: int
    items: int

    @property
    def value(self) -> float:
        return self.correct / self.items if self.items else 0.0

    @property
    def standard_error(self) -> float:
        """sqrt(p(1-p)/n): how far the measured accuracy typically is from the true one."""
        if not self.items:
            return 0.0
        p = self.value
        return math.sqrt(p * (1 - p) / self.items)

    @property
    def interval(self) -> tuple[float, float]:
        """Wilson's 95 % interval, which stays inside [0, 1] and is honest at 0 % and 100 %."""
        n = self.items
        if not n:
            return (0.0, 1.0)
        p = self.value
        centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
        half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
        return (max(0.0, centre - half), min(1.0, centre + half))


def difference_is_clear(a: Accuracy, b: Accuracy) -> bool:
    """Whether two accuracies differ by more than twice the standard error of their difference."""
    spread = math.sqrt(a.standard_error**2 + b.standard_error**2)
    return abs(a.value - b.value) > 2 * spread and a.correct != b.correct

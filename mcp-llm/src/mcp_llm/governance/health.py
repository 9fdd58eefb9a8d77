"""Rolling health figures per provider and model: error rate and latency percentiles over a time window.

Kept per replica, in a bounded ring of recent calls; cheap to record (an append) and computed only
when someone asks (``provider_health``, ``/readyz``).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

_MAX_SAMPLES = 2_000


@dataclass(frozen=True, slots=True)
class HealthFigures:
    calls: int
    errors: int
    error_rate: float | None
    p50_ms: float | None
    p95_ms: float | None
    last_error: str | None
    last_error_at: float | None


def _percentile(sorted_values: list[float], share: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


class RollingHealth:
    """Recent outcomes of one provider/model: (time, latency seconds or None for an error)."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._samples: deque[tuple[float, float, bool]] = deque(maxlen=_MAX_SAMPLES)
        self.last_error: str | None = None
        self.last_error_at: float | None = None

    def success(self, latency: float) -> None:
        self._samples.append((time.monotonic(), latency, True))

    def failure(self, latency: float, error_type: str) -> None:
        self._samples.append((time.monotonic(), latency, False))
        self.last_error = error_type
        self.last_error_at = time.time()

    def figures(self) -> HealthFigures:
        horizon = time.monotonic() - self.window
        recent = [s for s in self._samples if s[0] >= horizon]
        errors = sum(1 for s in recent if not s[2])
        latencies = sorted(s[1] for s in recent if s[2])
        return HealthFigures(
            calls=len(recent),
            errors=errors,
            error_rate=round(errors / len(recent), 4) if recent else None,
            p50_ms=round(_percentile(latencies, 0.50) * 1000, 2) if latencies else None,
            p95_ms=round(_percentile(latencies, 0.95) * 1000, 2) if latencies else None,
            last_error=self.last_error,
            last_error_at=self.last_error_at,
        )

"""Which variant a call gets: a stable hash of the experiment and the unit, cut by the weights.

The unit is the episode when the caller names one, else the organization, so a debate or a
conversation stays on one variant across calls, processes and restarts (nothing is stored).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from itertools import accumulate

from mcp_llm.experiments.config import Experiment, Variant


def unit_of(episode_id: str | None, organization: str) -> str:
    """What assignment is sticky to; the two kinds never collide."""
    return f"episode:{episode_id}" if episode_id else f"organization:{organization}"


def position(experiment: str, unit: str) -> float:
    """A uniform point in [0, 1) fixed by the experiment and the unit (64 bits of SHA-256)."""
    digest = hashlib.sha256(f"{experiment}\x00{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(experiment: Experiment, unit: str) -> Variant:
    """The variant whose share of [0, 1) holds the unit's point."""
    bounds = list(accumulate(v.weight for v in experiment.variants))
    point = position(experiment.name, unit) * bounds[-1]
    return experiment.variants[min(bisect_right(bounds, point), len(bounds) - 1)]

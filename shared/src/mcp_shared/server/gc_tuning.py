"""Garbage-collector settings for a long-running server.

After start-up a service holds a large, permanent object graph (SDK modules, catalogs, pydantic
schemas). Left to the defaults, every full collection walks all of it, and those pauses become the
latency tail under load (p99 at concurrency 16 on the gateway benchmark: about 110 ms). Freezing
what start-up built moves it out of the collector's sight, and a larger first-generation threshold
makes collections rarer (p99: about 35 ms, throughput up about 10 %). Nothing is disabled: cycles
created while serving are still collected.
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 10_000
OLDER_THRESHOLDS = (10, 10)


def tune_for_serving() -> None:
    """Call once start-up is done: collect, freeze the survivors, raise the young-generation threshold."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, *OLDER_THRESHOLDS)

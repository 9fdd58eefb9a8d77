"""Typed shapes of the governance settings: quota limits, queue limits and fallback chains.

They are read from the environment as JSON (``QUOTAS``, ``QUEUE_LIMITS``, ``FALLBACKS``), so an
operator configures many organizations or models in one variable and a typo fails at start-up.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

QuotaMetric = Literal["requests", "tokens", "usd"]
QuotaWindow = Literal["minute", "day", "month"]
QUOTA_METRICS: tuple[QuotaMetric, ...] = ("requests", "tokens", "usd")
QUOTA_WINDOWS: tuple[QuotaWindow, ...] = ("minute", "day", "month")
DEFAULT_QUOTA_KEY = "default"
"""The ``QUOTAS`` entry for organizations without their own (and the base of those with one)."""


class QuotaLimits(BaseModel):
    """Limits of one organization; a field left out has no limit (or inherits the default's)."""

    model_config = ConfigDict(extra="forbid")

    requests_per_minute: int | None = Field(default=None, ge=0)
    requests_per_day: int | None = Field(default=None, ge=0)
    requests_per_month: int | None = Field(default=None, ge=0)
    tokens_per_minute: int | None = Field(default=None, ge=0)
    tokens_per_day: int | None = Field(default=None, ge=0)
    tokens_per_month: int | None = Field(default=None, ge=0)
    usd_per_minute: float | None = Field(default=None, ge=0)
    usd_per_day: float | None = Field(default=None, ge=0)
    usd_per_month: float | None = Field(default=None, ge=0)

    def over(self, base: QuotaLimits) -> QuotaLimits:
        """These limits on top of ``base``: fields set here (even to null) win, the rest are inherited."""
        merged = base.model_dump()
        merged.update({name: getattr(self, name) for name in self.model_fields_set})
        return QuotaLimits(**merged)

    def items(self) -> list[tuple[QuotaMetric, QuotaWindow, float]]:
        """Every configured limit as (metric, window, limit)."""
        found = []
        for metric in QUOTA_METRICS:
            for window in QUOTA_WINDOWS:
                value = getattr(self, f"{metric}_per_{window}")
                if value is not None:
                    found.append((metric, window, value))
        return found


class QueueLimit(BaseModel):
    """Concurrency and queue bounds of a provider (or one of its models); unset fields use the defaults."""

    model_config = ConfigDict(extra="forbid")

    concurrency: int | None = Field(default=None, ge=1, description="Calls in flight at once.")
    max_queue: int | None = Field(default=None, ge=0, description="Calls allowed to wait for a slot.")
    timeout: float | None = Field(default=None, gt=0, description="Seconds a call may wait for a slot.")

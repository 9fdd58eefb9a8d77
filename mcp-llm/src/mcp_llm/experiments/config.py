"""The experiments file (``EXPERIMENTS_FILE``, YAML or JSON): its typed shape and how it is read.

A bad file stops the server at start-up with one line naming the file and the field, so an operator
never runs an experiment that silently differs from the one they wrote.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mcp_shared.identifiers import ExperimentName, ModelName, ProviderName, bounds, charset
from mcp_shared.models import MaxTokens, Temperature, TopP

MetricName = Annotated[str, bounds("_-", 64, "Metric name."), charset("a metric name", "_-")]
VariantName = Annotated[str, bounds("_-", 64, "Variant name."), charset("a variant name", "_-")]
MAX_EXPERIMENTS = 100
MAX_VARIANTS = 16


class ExperimentsFileError(ValueError):
    """The experiments file cannot be used; the message is one line naming the file and the field."""


class MetricSpec(BaseModel):
    """A feedback metric callers may post: its kind, its direction and, for numbers, its range.

    The range bounds every value (a value outside it is refused) and is what lets the sequential
    test in ``sequential.py`` hold without assumptions about the distribution.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: MetricName
    type: Literal["boolean", "number", "comment"]
    higher_is_better: bool = True
    min: float = 0.0
    max: float = 1.0
    description: str = Field(default="", max_length=2_000)

    @model_validator(mode="after")
    def _range(self) -> MetricSpec:
        if self.max <= self.min:
            raise ValueError("max must be greater than min")
        return self


class Variant(BaseModel):
    """One arm of an experiment: where its calls go and what it changes about them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: VariantName
    provider: ProviderName | None = None
    model: ModelName
    weight: float = Field(default=1.0, gt=0, le=1_000_000, description="Relative share of traffic.")
    temperature: Temperature | None = None
    max_tokens: MaxTokens | None = None
    top_p: TopP | None = None
    system_prompt: str | None = Field(
        default=None,
        max_length=20_000,
        description="Replaces the request's system message (or is added when it has none); "
        "'{system}' in it stands for the caller's own system message.",
    )


class Experiment(BaseModel):
    """Variants, their weights, the metric the experiment optimises and the evidence it needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ExperimentName
    description: str = Field(default="", max_length=2_000)
    variants: list[Variant] = Field(min_length=2, max_length=MAX_VARIANTS)
    metric: MetricName | None = Field(default=None, description="Feedback metric optimised (declared).")
    min_samples: int = Field(default=100, ge=1, le=10_000_000, description="Per variant, before deciding.")
    alpha: float = Field(default=0.05, gt=0, lt=0.5, description="Error rate of the sequential test.")

    @model_validator(mode="after")
    def _distinct_variants(self) -> Experiment:
        names = [v.name for v in self.variants]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"variant names must be distinct: {', '.join(duplicates)} repeated")
        return self

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)


class ExperimentsConfig(BaseModel):
    """The whole file: ``{experiments: [...]}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metrics: list[MetricSpec] = Field(default_factory=list, max_length=MAX_EXPERIMENTS)
    experiments: list[Experiment] = Field(default_factory=list, max_length=MAX_EXPERIMENTS)

    @model_validator(mode="after")
    def _distinct_and_declared(self) -> ExperimentsConfig:
        for kind, names in (
            ("experiment", [e.name for e in self.experiments]),
            ("metric", [m.name for m in self.metrics]),
        ):
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(f"{kind} names must be distinct: {', '.join(duplicates)} repeated")
        scored = {m.name for m in self.metrics if m.type != "comment"}
        for experiment in self.experiments:
            if experiment.metric is not None and experiment.metric not in scored:
                raise ValueError(
                    f"experiment '{experiment.name}' optimises '{experiment.metric}', which is not a "
                    "declared boolean or number metric"
                )
        return self


def load_experiments(path: Path) -> ExperimentsConfig:
    """Read and check the file; every problem is an ``ExperimentsFileError`` with a one-line message."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExperimentsFileError(f"EXPERIMENTS_FILE {path}: cannot be read ({exc.strerror})") from None
    import yaml  # only a service with an experiments file pays for importing it

    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExperimentsFileError(f"EXPERIMENTS_FILE {path}: not valid YAML/JSON: {first}") from None
    try:
        return ExperimentsConfig.model_validate(data if data is not None else {})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ExperimentsFileError(f"EXPERIMENTS_FILE {path}: {where}: {error['msg']}{more}") from None

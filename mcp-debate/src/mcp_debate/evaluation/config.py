"""The one file that describes an evaluation: the dataset, the methods and how many items run at once.

YAML or JSON, for example::

    dataset: {kind: arithmetic, items: 200, seed: 1}
    methods:
      - {name: single, kind: single, model: {provider: mock, model: mock-math-60}}
      - {name: vote-5, kind: vote, panel: [{provider: mock, model: mock-math-60}, ...]}
      - {name: sc, kind: self-consistency, model: {provider: mock, model: mock-math-60}, match: vote-5}

``self-consistency`` samples its model ``k`` times and takes the majority answer; without ``k`` its
``k`` is matched to a debate's measured tokens (``match``, the first debate by default): the
debate's mean tokens per item over the mean tokens of one call, taken from a ``single`` method of
the same model, which the config must then hold.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mcp_debate.domain.models import LLMConfig

DatasetKind = Literal["arithmetic", "jsonl", "items", "gsm_symbolic", "basic_arithmetic", "champ"]
MAX_ENTRIES = 5000
MethodKind = Literal["single", "self-consistency", "vote", "judged", "rounds"]
DEBATES: tuple[MethodKind, ...] = ("vote", "judged", "rounds")
MAX_K = 64


class Entry(BaseModel):
    """One question given inline (the ``evaluate`` tool reads no files)."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=4000)
    answer: str | int | float
    choices: list[str] | None = Field(default=None, min_length=2, max_length=26)
    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")


class DatasetSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: DatasetKind = "arithmetic"
    items: int = Field(
        default=50, ge=1, le=100_000, description="How many items (a JSONL file, CHAMP: at most)."
    )
    seed: int = Field(default=0, ge=0, le=2**32, description="Seed of a generator.")
    path: Path | None = Field(default=None, description="The JSONL file (relative to the config file).")
    answers: Literal["checkable", "all"] = Field(
        default="checkable",
        description="champ: only problems whose answer is a number, yes/no or a formula (all: every one, "
        "free-text answers compared as text).",
    )

    entries: list[Entry] | None = Field(
        default=None,
        max_length=MAX_ENTRIES,
        description="items: the questions themselves, [{question, answer, choices?, id?}].",
    )

    @model_validator(mode="after")
    def _source(self) -> DatasetSpec:
        if self.kind == "jsonl" and self.path is None:
            raise ValueError("a jsonl dataset needs path")
        if self.kind == "items" and not self.entries:
            raise ValueError("an items dataset needs entries (at least one)")
        if self.kind != "items" and self.entries is not None:
            raise ValueError("entries belong to kind: items")
        if self.kind != "jsonl" and self.path is not None:
            raise ValueError("path belongs to kind: jsonl")
        return self

    def shown(self) -> dict[str, object]:
        """The spec as reports show it: fields of other kinds left out, inline entries counted."""
        shown = self.model_dump(mode="json", exclude={"entries", "answers"})
        if self.kind == "champ":
            shown["answers"] = self.answers
        if self.entries is not None:
            shown["entries"] = len(self.entries)
        return shown


class FeedbackSpec(BaseModel):
    """Post each item's correctness to mcp-llm (``record_feedback``, by the item's episode id)."""

    model_config = ConfigDict(extra="forbid")

    metric: str = Field(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="A boolean metric declared in mcp-llm's experiments file (e.g. correct).",
    )


class MethodSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,39}$", description="Shown in the report.")
    kind: MethodKind
    model: LLMConfig | None = Field(default=None, description="single and self-consistency: the model.")
    k: int | None = Field(default=None, ge=2, le=MAX_K, description="self-consistency: samples per item.")
    match: str | None = Field(
        default=None, description="self-consistency: the debate whose tokens k matches."
    )
    panel: list[LLMConfig] | None = Field(default=None, min_length=2, max_length=10)
    rounds: int = Field(default=1, ge=1, le=10)
    judge: LLMConfig | None = None
    stop_on_consensus: bool = True

    @model_validator(mode="after")
    def _shape(self) -> MethodSpec:
        if self.kind in ("single", "self-consistency"):
            if self.model is None:
                raise ValueError(f"{self.kind} needs model")
            if self.panel is not None:
                raise ValueError(f"{self.kind} takes model, not panel")
        elif self.panel is None:
            raise ValueError(f"{self.kind} needs panel (at least two models)")
        if self.kind == "rounds" and not self.stop_on_consensus and self.judge is None:
            raise ValueError("rounds reaches an answer by its vote (stop_on_consensus: true) or a judge")
        if self.kind != "self-consistency" and (self.k is not None or self.match is not None):
            raise ValueError("k and match belong to self-consistency")
        return self

    @property
    def is_debate(self) -> bool:
        return self.kind in DEBATES

    def models(self) -> list[str]:
        """Who answers, as ``provider/model`` (with the judge's, for a debate that has one)."""
        configs = [self.model] if self.model else list(self.panel or [])
        shown = [f"{c.provider}/{c.model or 'default'}" for c in configs]
        if self.judge is not None:
            shown.append(f"judge {self.judge.provider}/{self.judge.model or 'default'}")
        return shown


class EvalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: DatasetSpec = Field(default_factory=DatasetSpec)
    methods: list[MethodSpec] = Field(min_length=1, max_length=12)
    concurrency: int = Field(default=2, ge=1, le=32, description="Items in flight at once, per method.")
    feedback: FeedbackSpec | None = Field(
        default=None,
        description="Post each item's correctness as feedback on mcp-llm, so an experiment whose variants "
        "the methods address (model experiment/<name>) learns which configuration wins.",
    )

    @model_validator(mode="after")
    def _references(self) -> EvalConfig:
        names = [m.name for m in self.methods]
        if len(set(names)) != len(names):
            raise ValueError("methods: every name must be different")
        debates = [m.name for m in self.methods if m.is_debate]
        for method in self.methods:
            if method.kind != "self-consistency" or method.k is not None:
                continue
            if method.match is None:
                if not debates:
                    raise ValueError(f"{method.name}: give k, or a debate method whose tokens k matches")
                method.match = debates[0]
            if method.match not in debates:
                raise ValueError(f"{method.name}: match: {method.match!r} is not a debate method")
            if self.single_of(method) is None:
                raise ValueError(
                    f"{method.name}: matching k needs a single method of the same model "
                    "(its tokens per call), or give k"
                )
        return self

    def single_of(self, method: MethodSpec) -> MethodSpec | None:
        """The ``single`` method of the same model as ``method``."""
        for other in self.methods:
            if other.kind == "single" and other.model == method.model:
                return other
        return None

    def method(self, name: str) -> MethodSpec:
        return next(m for m in self.methods if m.name == name)


class ConfigError(ValueError):
    """A config that cannot be used; the message names the field."""


def load_config(path: Path) -> EvalConfig:
    """The evaluation a YAML or JSON file describes; a JSONL path is read relative to the file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    try:
        config = EvalConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"{path}: {field}: {first['msg']}") from None
    if config.dataset.path is not None and not config.dataset.path.is_absolute():
        config.dataset.path = path.parent / config.dataset.path
    return config


def digest_text(config: EvalConfig) -> str:
    """The config as canonical JSON: a resumed run must have been started with the same one."""
    dumped = config.model_dump(mode="json", exclude={"concurrency", "dataset", "feedback"})
    dumped["dataset"] = config.dataset.shown()
    if config.dataset.entries is not None:
        dumped["dataset"]["entries"] = [e.model_dump(mode="json") for e in config.dataset.entries]
    if config.feedback is not None:  # posting feedback changes no answer, but a run posts it once per item
        dumped["feedback"] = config.feedback.model_dump(mode="json")
    return json.dumps(dumped, sort_keys=True)

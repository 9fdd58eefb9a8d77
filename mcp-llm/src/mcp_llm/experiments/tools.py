"""The ``experiments`` tool: what is configured, so a caller knows what it may join."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from mcp_llm.experiments.config import Experiment
from mcp_llm.experiments.registry import Experiments
from mcp_shared.server.tools import CallContext, ToolSpec


class ExperimentsArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExperimentListing(BaseModel):
    experiments: list[Experiment]


def build_experiment_tools(experiments: Experiments) -> list[ToolSpec[Any]]:
    async def list_experiments(args: ExperimentsArgs, call: CallContext) -> ExperimentListing:
        return ExperimentListing(experiments=list(experiments.by_name.values()))

    return [
        ToolSpec(
            "experiments",
            "List the configured A/B experiments: variants (provider, model, parameters), weights, the "
            "metric each optimises and its minimum sample size. Join one with model='experiment/<name>' "
            "or experiment=<name>; episode_id keeps a group of calls on one variant.",
            ExperimentsArgs,
            list_experiments,
            ExperimentListing,
            read_only=True,
        )
    ]

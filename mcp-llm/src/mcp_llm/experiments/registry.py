"""The experiments this process runs, and how a request names one."""

from __future__ import annotations

from mcp_llm.experiments.assignment import assign, unit_of
from mcp_llm.experiments.config import Experiment, ExperimentsConfig, Variant
from mcp_shared.errors import InvalidRequestError, NotFoundError
from mcp_shared.models import CompletionRequest

MODEL_PREFIX = "experiment/"
"""``model="experiment/<name>"`` joins an experiment, on the tools and on ``/v1`` alike."""


def named_experiment(request: CompletionRequest) -> str | None:
    """The experiment a request joins, from its ``experiment`` argument or its model name."""
    by_model = (
        request.model[len(MODEL_PREFIX) :] if request.model and is_experiment_model(request.model) else None
    )
    if request.experiment and by_model and by_model != request.experiment:
        raise InvalidRequestError(
            f"model names experiment '{by_model}' but experiment is '{request.experiment}'",
            details={"field": "experiment"},
        )
    if request.experiment and request.model and by_model is None:
        raise InvalidRequestError(
            "give either a model or an experiment: the experiment's variant chooses the model",
            details={"field": "model"},
        )
    return request.experiment or by_model


def is_experiment_model(model: str) -> bool:
    return model.startswith(MODEL_PREFIX)


class Experiments:
    """The configured experiments by name."""

    def __init__(self, config: ExperimentsConfig) -> None:
        self.by_name: dict[str, Experiment] = {e.name: e for e in config.experiments}
        self.metrics = list(config.metrics)
        self.frozen: dict[str, str] = {}
        """Experiments an operator froze on one variant (this process; until unfrozen or restarted)."""

    def freeze(self, name: str, variant: str | None) -> Experiment:
        """All traffic of ``name`` to ``variant`` from now on; ``None`` resumes the weighted split."""
        experiment = self.get(name)
        if variant is None:
            self.frozen.pop(name, None)
        elif experiment.variant(variant) is None:
            known = ", ".join(v.name for v in experiment.variants)
            raise InvalidRequestError(
                f"experiment '{name}' has no variant '{variant}' (it has {known})",
                details={"field": "variant"},
            )
        else:
            self.frozen[name] = variant
        return experiment

    def get(self, name: str) -> Experiment:
        found = self.by_name.get(name)
        if found is None:
            known = ", ".join(sorted(self.by_name)) or "none are configured"
            raise NotFoundError(
                f"no experiment named '{name}' (configured: {known})", details={"field": "experiment"}
            )
        return found

    def variant_for(self, experiment: Experiment, episode_id: str | None, organization: str) -> Variant:
        frozen = experiment.variant(self.frozen.get(experiment.name, ""))
        return frozen or assign(experiment, unit_of(episode_id, organization))

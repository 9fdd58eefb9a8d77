"""The experiments this process runs, and how a request names one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from mcp_llm.experiments.assignment import assign, unit_of
from mcp_llm.experiments.config import Experiment, ExperimentsConfig, Variant
from mcp_llm.state.redis_link import RedisLink
from mcp_shared.errors import InvalidRequestError, NotFoundError
from mcp_shared.models import CompletionRequest

if TYPE_CHECKING:
    from redis.asyncio import Redis

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


FROZEN_KEY = "llm-exp-frozen"
"""A Redis hash ``{experiment: variant}`` of the experiments an operator froze."""


class FreezeStore(Protocol):
    """Which experiments an operator froze on one variant."""

    name: str

    async def get(self, experiment: str) -> str | None: ...
    async def set(self, experiment: str, variant: str | None) -> None: ...


class MemoryFreezes:
    """This process only, until unfrozen or restarted."""

    name = "memory"

    def __init__(self) -> None:
        self._frozen: dict[str, str] = {}

    async def get(self, experiment: str) -> str | None:
        return self._frozen.get(experiment)

    async def set(self, experiment: str, variant: str | None) -> None:
        if variant is None:
            self._frozen.pop(experiment, None)
        else:
            self._frozen[experiment] = variant


class RedisFreezes:
    """Shared by every replica and kept across restarts: one ``HGET`` per call that joins an experiment
    (calls outside experiments never read it). While Redis is unreachable each replica keeps the last
    state it read, so an outage neither unfreezes nor freezes anything."""

    name = "redis"

    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._known: dict[str, str | None] = {}

    async def get(self, experiment: str) -> str | None:
        async def read(client: Redis) -> str | None:
            raw: bytes | str | None = await client.hget(FROZEN_KEY, experiment)
            return raw.decode() if isinstance(raw, bytes) else raw

        missing = object()
        found = await self._link.run(read, missing)
        if found is missing:
            return self._known.get(experiment)
        assert found is None or isinstance(found, str)
        self._known[experiment] = found
        return found

    async def set(self, experiment: str, variant: str | None) -> None:
        async def write(client: Redis) -> None:
            if variant is None:
                await client.hdel(FROZEN_KEY, experiment)
            else:
                await client.hset(FROZEN_KEY, experiment, variant)

        await self._link.run_strict(write)
        self._known[experiment] = variant


class Experiments:
    """The configured experiments by name, and which of them are frozen."""

    def __init__(self, config: ExperimentsConfig, freezes: FreezeStore | None = None) -> None:
        self.by_name: dict[str, Experiment] = {e.name: e for e in config.experiments}
        self.metrics = list(config.metrics)
        self.freezes: FreezeStore = freezes or MemoryFreezes()

    async def freeze(self, name: str, variant: str | None) -> Experiment:
        """All traffic of ``name`` to ``variant`` from now on; ``None`` resumes the weighted split."""
        experiment = self.get(name)
        if variant is not None and experiment.variant(variant) is None:
            known = ", ".join(v.name for v in experiment.variants)
            raise InvalidRequestError(
                f"experiment '{name}' has no variant '{variant}' (it has {known})",
                details={"field": "variant"},
            )
        await self.freezes.set(name, variant)
        return experiment

    async def frozen_on(self, name: str) -> str | None:
        return await self.freezes.get(name)

    def get(self, name: str) -> Experiment:
        found = self.by_name.get(name)
        if found is None:
            known = ", ".join(sorted(self.by_name)) or "none are configured"
            raise NotFoundError(
                f"no experiment named '{name}' (configured: {known})", details={"field": "experiment"}
            )
        return found

    async def variant_for(self, experiment: Experiment, episode_id: str | None, organization: str) -> Variant:
        frozen = experiment.variant(await self.freezes.get(experiment.name) or "")
        return frozen or assign(experiment, unit_of(episode_id, organization))

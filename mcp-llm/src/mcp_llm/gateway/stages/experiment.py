"""The stage that puts a call into its experiment's variant before anything else sees the request."""

from __future__ import annotations

from mcp_llm.experiments.config import Variant
from mcp_llm.experiments.registry import Experiments, named_experiment
from mcp_llm.gateway.attempt import Attempt, Next
from mcp_shared.auth import OrganizationPolicy
from mcp_shared.models import ChatMessage, CompletionRequest


class Assign:
    """Rewrites a request that joins an experiment into its variant's request, and labels the answer.

    It runs before routing so that routing, fallbacks, the cache key, quotas and usage all see the
    variant's provider and model, exactly as if the caller had named them.
    """

    def __init__(self, experiments: Experiments, organizations: OrganizationPolicy) -> None:
        self.experiments = experiments
        self.organizations = organizations

    async def handle(self, attempt: Attempt, call_next: Next) -> None:
        request = attempt.request
        name = named_experiment(request)
        if name is None:
            await call_next(attempt)
            return
        experiment = self.experiments.get(name)
        organization = self.organizations.acting_for(attempt.call.organization_id, request.organization_id)
        variant = await self.experiments.variant_for(experiment, request.episode_id, organization)
        attempt.request = apply(variant, request)
        await call_next(attempt)
        if attempt.response is not None:
            attempt.response = attempt.response.model_copy(
                update={"experiment": experiment.name, "variant": variant.name}
            )


def apply(variant: Variant, request: CompletionRequest) -> CompletionRequest:
    """The request as the variant sends it: its target, its parameters, its system prompt."""
    update: dict[str, object] = {"provider": variant.provider, "model": variant.model, "experiment": None}
    for field in ("temperature", "max_tokens", "top_p"):
        value = getattr(variant, field)
        if value is not None:
            update[field] = value
    if variant.system_prompt is not None:
        update["messages"] = _with_system(variant.system_prompt, request.messages)
    return request.model_copy(update=update)


def _with_system(template: str, messages: list[ChatMessage]) -> list[ChatMessage]:
    own = "\n".join(m.content for m in messages if m.role == "system")
    system = ChatMessage(role="system", content=template.replace("{system}", own))
    return [system, *(m for m in messages if m.role != "system")]

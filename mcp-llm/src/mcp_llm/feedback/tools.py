"""``record_feedback`` (tool and ``POST /feedback``): an outcome for one request or one episode.

Only declared metrics are accepted, each with its type and range; a caller may rate only its own
organization's requests and episodes (another's look exactly like ones that do not exist).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, model_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mcp_llm.experiments.config import MetricName, MetricSpec
from mcp_llm.feedback.store import FeedbackStore
from mcp_llm.state.redis_link import redis_errors
from mcp_shared.auth import ORGANIZATION_SCOPE_KEY, OrganizationPolicy
from mcp_shared.errors import InvalidRequestError, NotFoundError, ProviderUnavailableError, ServiceError
from mcp_shared.identifiers import EpisodeId, OrganizationId, bounds, charset
from mcp_shared.server.http_app import error_response, read_body
from mcp_shared.server.tools import CallContext, ToolRegistry, ToolSpec
from mcp_shared.settings import ServiceSettings

RequestId = Annotated[str, bounds("_-", 128, "A request id from a response."), charset("a request id", "_-")]
MAX_COMMENT = 4_000


class FeedbackArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: RequestId | None = Field(default=None, description="The response's request_id.")
    episode_id: EpisodeId | None = Field(default=None, description="Or the episode the calls named.")
    metric: MetricName = Field(description="A metric declared in the experiments file.")
    value: StrictBool | StrictInt | StrictFloat | Annotated[str, Field(max_length=MAX_COMMENT)] = Field(
        description="true/false for a boolean metric, a number in its range, or text for a comment."
    )
    organization_id: OrganizationId | None = Field(
        default=None, description="Whose request it was (ignored when the server authenticates callers)."
    )

    @model_validator(mode="after")
    def _one_subject(self) -> FeedbackArgs:
        if (self.request_id is None) == (self.episode_id is None):
            raise ValueError("give exactly one of 'request_id' or 'episode_id'")
        return self


class Rated(BaseModel):
    experiment: str
    variant: str


class FeedbackResult(BaseModel):
    metric: str
    recorded_for: list[Rated] = Field(description="The experiment variants the feedback counts for.")
    backend: str


class Feedback:
    """Checks feedback against the declared metrics and the caller's organization, then stores it."""

    def __init__(
        self,
        store: FeedbackStore,
        metrics: list[MetricSpec],
        organizations: OrganizationPolicy,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.store = store
        self.metrics = {m.name: m for m in metrics}
        self.organizations = organizations
        self.counted = Counter(
            "llm_feedback_values",
            "Feedback values recorded, by declared metric and source (caller, or judge for the judge model).",
            ["metric", "source"],
            registry=registry or CollectorRegistry(),
        )

    def score(self, spec: MetricSpec, value: bool | int | float | str) -> float | None:
        """The value as a number (``None`` for a comment); a value of the wrong kind names the field."""
        if spec.type == "comment":
            if not isinstance(value, str):
                raise InvalidRequestError(f"metric '{spec.name}' takes text", details={"field": "value"})
            return None
        if spec.type == "boolean":
            if not isinstance(value, bool):
                raise InvalidRequestError(
                    f"metric '{spec.name}' takes true or false", details={"field": "value"}
                )
            return float(value)
        if isinstance(value, (bool, str)):
            raise InvalidRequestError(f"metric '{spec.name}' takes a number", details={"field": "value"})
        if not spec.min <= value <= spec.max:
            raise InvalidRequestError(
                f"metric '{spec.name}' takes a number from {spec.min:g} to {spec.max:g}",
                details={"field": "value"},
            )
        return float(value)

    async def record(
        self, args: FeedbackArgs, call: CallContext, source: Literal["caller", "judge"] = "caller"
    ) -> FeedbackResult:
        spec = self.metrics.get(args.metric)
        if spec is None:
            known = ", ".join(sorted(self.metrics)) or "none are declared"
            raise InvalidRequestError(
                f"unknown metric '{args.metric}' (declared: {known})", details={"field": "metric"}
            )
        number = self.score(spec, args.value)
        organization = self.organizations.acting_for(call.organization_id, args.organization_id)
        try:
            arms = await self._arms(args, organization)
            subject = f"request:{args.request_id}" if args.request_id else f"episode:{args.episode_id}"
            if not await self.store.claim(organization, subject, spec.name):
                raise InvalidRequestError(
                    f"{subject.replace(':', ' ', 1)} already has a value for '{spec.name}' (one each)",
                    status=409,
                    details={"field": "metric"},
                )
            if number is not None or spec.type == "comment":
                for experiment, variant in arms.items():
                    await self.store.add(experiment, variant, spec.name, number or 0.0)
        except redis_errors() as exc:
            raise ProviderUnavailableError(
                f"feedback store unavailable: {type(exc).__name__}", status=503
            ) from exc
        self.counted.labels(spec.name, source).inc()
        return FeedbackResult(
            metric=spec.name,
            recorded_for=[Rated(experiment=e, variant=v) for e, v in arms.items()],
            backend=self.store.name,
        )

    async def _arms(self, args: FeedbackArgs, organization: str) -> dict[str, str]:
        if args.request_id is not None:
            record = await self.store.request(args.request_id)
            if record is None or record.organization != organization:
                raise NotFoundError(
                    f"no request '{args.request_id}' of organization '{organization}' is remembered",
                    details={"field": "request_id"},
                )
            if record.experiment is None or record.variant is None:
                return {}
            return {record.experiment: record.variant}
        assert args.episode_id is not None
        arms = await self.store.episode(organization, args.episode_id)
        if not arms:
            raise NotFoundError(
                f"no episode '{args.episode_id}' of organization '{organization}' took part in an experiment",
                details={"field": "episode_id"},
            )
        return arms


def build_feedback_tools(feedback: Feedback) -> list[ToolSpec[Any]]:
    async def record_feedback(args: FeedbackArgs, call: CallContext) -> FeedbackResult:
        return await feedback.record(args, call)

    return [
        ToolSpec(
            "record_feedback",
            "Record an outcome for one response (request_id) or one episode (episode_id): a declared "
            "metric and its value (boolean, number or comment). Experiments count it for the variant "
            "that answered; only your own organization's requests can be rated.",
            FeedbackArgs,
            record_feedback,
            FeedbackResult,
        )
    ]


def feedback_routes(tools: ToolRegistry, settings: ServiceSettings) -> list[BaseRoute]:
    """``POST /feedback`` with the tool's arguments as a JSON body."""

    async def post_feedback(request: Request) -> Response:
        call = CallContext(transport="http", organization_id=request.scope.get(ORGANIZATION_SCOPE_KEY))
        spec = tools.get("record_feedback")
        try:
            try:
                body = json.loads(await read_body(request, settings.max_body_bytes) or b"{}")
            except ValueError:
                raise InvalidRequestError("body is not JSON", details={"field": "body"}) from None
            if not isinstance(body, dict):
                raise InvalidRequestError("body must be a JSON object", details={"field": "body"})
            result = await tools.run(spec, tools.parse_arguments(spec, body), call)
        except ServiceError as exc:
            return error_response(exc, call.request_id)
        assert isinstance(result, FeedbackResult)
        return Response(
            result.model_dump_json(), media_type="application/json", headers={"X-Request-Id": call.request_id}
        )

    return [Route("/feedback", post_feedback, methods=["POST"])]

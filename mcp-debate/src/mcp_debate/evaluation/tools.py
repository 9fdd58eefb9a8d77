"""The ``evaluate``, ``get_evaluation`` and ``cancel_evaluation`` tools: evaluations run by the service.

The service runs them with the same code as ``mcp-debate evaluate``, through in-process callers:
``complete`` and ``record_feedback`` go to mcp-llm over the service's own link (billed to the
caller's organization), debates go to this service's own tools as the caller (so they belong to the
caller's organization, as if it had called ``deliberate`` itself).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mcp_debate.access import caller_organization
from mcp_debate.evaluation.config import EvalConfig
from mcp_debate.evaluation.jobs import ID_PATTERN, Evaluation, Evaluations, State
from mcp_debate.evaluation.methods import Services, ToolCaller
from mcp_debate.llm import CallScope, LLMServiceClient
from mcp_shared.server.tools import CallContext, ToolRegistry, ToolSpec


class EvaluateArgs(EvalConfig):
    """The evaluation, as the YAML/JSON file of ``mcp-debate evaluate`` describes it, and whether to wait."""

    wait: bool = Field(
        default=True,
        description="Wait for the report; false returns the evaluation id at once (read it with "
        "get_evaluation) — the way for runs longer than a tool call may last.",
    )

    def config(self) -> EvalConfig:
        return EvalConfig.model_validate(self.model_dump(exclude={"wait"}))


class EvaluationRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evaluation_id: str = Field(pattern=ID_PATTERN, description="The id evaluate returned.")


class MethodProgress(BaseModel):
    name: str
    kind: str
    done: int = Field(description="Items this method has answered.")
    correct: int
    accuracy: float | None = Field(description="Running accuracy over the items done.")
    tokens: int
    cost_usd: float
    errors: int


class EvaluationView(BaseModel):
    evaluation_id: str
    state: State
    items: int = Field(description="Items in the dataset; each method answers every one.")
    methods: list[MethodProgress]
    tokens: int = Field(description="Tokens spent so far, every method together.")
    cost_usd: float = Field(description="Spend so far, every method together (list prices).")
    created_at: str
    finished_at: str | None = None
    error: str | None = Field(default=None, description="Why a failed evaluation failed.")
    report: dict[str, Any] | None = Field(
        default=None,
        description="Once it has ended (completed, cancelled or failed): the report of every item that "
        "finished, as mcp-debate evaluate writes it (accuracy, its standard error and 95 % interval, tokens, "
        "cost, matched-compute statements, flips).",
    )


def view(evaluation: Evaluation) -> EvaluationView:
    methods = [MethodProgress(**row) for row in evaluation.progress()]
    return EvaluationView(
        evaluation_id=evaluation.id,
        state=evaluation.state,
        items=len(evaluation.items),
        methods=methods,
        tokens=sum(m.tokens for m in methods),
        cost_usd=round(sum(m.cost_usd for m in methods), 6),
        created_at=evaluation.created_at,
        finished_at=evaluation.finished_at,
        error=evaluation.error,
        report=evaluation.report,
    )


def llm_caller(llm: LLMServiceClient, organization: str) -> ToolCaller:
    async def call(tool: str, args: dict[str, Any]) -> dict[str, Any]:
        return await llm.call_tool(
            tool, args, CallScope(purpose=f"evaluation {tool}", organization=organization)
        )

    return call


def debate_caller(specs: list[ToolSpec[Any]], organization: str) -> ToolCaller:
    """This service's own tools, called as ``organization`` (ownership checks included)."""
    by_name = {spec.name: spec for spec in specs}

    async def call(tool: str, args: dict[str, Any]) -> dict[str, Any]:
        spec = by_name[tool]
        parsed = ToolRegistry.parse_arguments(spec, args)
        result = await spec.handler(parsed, CallContext(transport="http", organization_id=organization))
        return result.model_dump(mode="json")

    return call


def services_for(llm: LLMServiceClient, debate_tools: list[ToolSpec[Any]]) -> Any:
    def make(organization: str) -> Services:
        return Services(
            llm_caller(llm, organization), debate_caller(debate_tools, organization), deliberate_waits=False
        )

    return make


def build_evaluation_tools(evaluations: Evaluations) -> list[ToolSpec[Any]]:
    async def evaluate(args: EvaluateArgs, call: CallContext) -> EvaluationView:
        evaluation = await evaluations.start(args.config(), caller_organization(call.organization_id))
        if args.wait:
            await evaluations.wait(evaluation)
        return view(evaluation)

    async def get_evaluation(args: EvaluationRef, call: CallContext) -> EvaluationView:
        return view(evaluations.get(args.evaluation_id, caller_organization(call.organization_id)))

    async def cancel_evaluation(args: EvaluationRef, call: CallContext) -> EvaluationView:
        evaluation = evaluations.get(args.evaluation_id, caller_organization(call.organization_id))
        await evaluations.cancel(evaluation)
        return view(evaluation)

    return [
        ToolSpec(
            "evaluate",
            "Does the panel beat one model? Run methods (single, self-consistency, vote, judged, "
            "rounds; each naming its models) over a dataset (arithmetic, gsm_symbolic, basic_arithmetic, "
            "champ, or your own items) and report per method accuracy with its standard error and 95 % "
            "interval, tokens, cost, time and errors, matched-compute statements and flips. Every call goes "
            "through mcp-llm. "
            "wait false returns the evaluation id at once: follow it with get_evaluation, stop it with "
            "cancel_evaluation.",
            EvaluateArgs,
            evaluate,
            EvaluationView,
        ),
        ToolSpec(
            "get_evaluation",
            "An evaluation's progress: items done per method, running accuracy, tokens and spend; the "
            "report once it has ended.",
            EvaluationRef,
            get_evaluation,
            EvaluationView,
            read_only=True,
        ),
        ToolSpec(
            "cancel_evaluation",
            "Stop an evaluation: items in flight are abandoned (their debates cancelled); the report covers "
            "every item that finished.",
            EvaluationRef,
            cancel_evaluation,
            EvaluationView,
        ),
    ]

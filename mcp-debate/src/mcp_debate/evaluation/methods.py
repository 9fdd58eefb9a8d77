"""One item by one method, through the services: ``complete`` on mcp-llm, ``deliberate`` on mcp-debate.

Every call goes through mcp-llm (directly, or from mcp-debate for a debate), so its cache, prices,
quotas and any recording apply. Each single answer is asked as a named solver (``You are Solver 3``):
samples of self-consistency are distinct requests, so the cache never hands one sample's answer to
the next, and a model that varies with the asker (the mock's ``mock-math-<p>``) errs independently.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from mcp import Client

from mcp_debate.domain.models import LLMConfig
from mcp_debate.domain.verdict import AnswerFormat
from mcp_debate.evaluation.checker import is_correct
from mcp_debate.evaluation.config import MethodSpec
from mcp_debate.evaluation.datasets import Item
from mcp_debate.llm.errors import from_tool_error
from mcp_debate.protocols.answers import extract, normalize
from mcp_shared.errors import ServiceError

POLL_SECONDS = 0.5
FIRST_POLL_SECONDS = 0.05
INSTRUCTION = "Answer the question. Think briefly, then end with a line 'Final answer: <answer>'."


@dataclass
class Outcome:
    """What one method made of one item."""

    method: str
    item: str
    answer: str | None = None
    correct: bool = False
    tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    seconds: float = 0.0
    error: str | None = None
    samples: list[str | None] = field(default_factory=list)
    """The answers of self-consistency's samples, or of a debate's ballots."""
    flips: dict[str, int] | None = None
    """Multi-round debates: wrong_to_right, right_to_wrong, stayed_right, stayed_wrong (per debater)."""
    feedback: str | None = None
    """With ``feedback`` in the config: ``recorded`` once mcp-llm took the correctness, else why not."""

    def record(self) -> dict[str, Any]:
        return asdict(self)


class ToolCaller(Protocol):
    """One service's tools: call one by name, get its structured result; a tool error is raised as its
    :class:`ServiceError`. Over MCP for the command line, in process for the ``evaluate`` tool."""

    async def __call__(self, tool: str, args: dict[str, Any]) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Services:
    llm: ToolCaller
    debate: ToolCaller
    deliberate_waits: bool = True
    """Let ``deliberate`` wait for the verdict (one call over MCP); False starts the debate and polls,
    so its id is known from the start and a cancelled item cancels its debate too."""


def mcp_caller(client: Client, service: str) -> ToolCaller:
    """The tools of the service ``client`` is connected to."""

    async def call(tool: str, args: dict[str, Any]) -> dict[str, Any]:
        result = await client.call_tool(tool, args)
        if result.is_error:
            raise from_tool_error(result, service)
        return dict(result.structured_content or {})

    return call


def question_text(item: Item) -> str:
    if not item.choices:
        return item.question
    listed = "\n".join(f"{chr(65 + i)}. {c}" for i, c in enumerate(item.choices))
    return f"{item.question}\n\nChoices:\n{listed}"


def _format(item: Item) -> AnswerFormat | None:
    return AnswerFormat(choices=item.choices) if item.choices else None


async def run_item(
    services: Services, method: MethodSpec, item: Item, k: int | None = None, episode: str | None = None
) -> Outcome:
    """``method`` on ``item`` (``k``: self-consistency's resolved sample count); failures become ``error``.

    Every mcp-llm call of the item carries ``episode`` when given, so an mcp-llm experiment puts the
    whole item (all samples, the whole debate) on one variant.
    """
    outcome = Outcome(method.name, item.id)
    started = time.perf_counter()
    try:
        if method.kind == "single":
            assert method.model is not None
            await _sample(services, method.model, item, "Solver", outcome, episode)
            outcome.answer = outcome.samples[0]
        elif method.kind == "self-consistency":
            assert method.model is not None
            assert k is not None
            for i in range(1, k + 1):
                await _sample(services, method.model, item, f"Solver {i}", outcome, episode)
            outcome.answer = majority(outcome.samples)
        else:
            await _debate(services, method, item, outcome, episode)
    except ServiceError as error:
        outcome.error = f"{error.error_type}: {error.message}"[:500]
    outcome.seconds = round(time.perf_counter() - started, 3)
    right = is_correct(outcome.answer, item.answer, item.choices, item.check)
    outcome.correct = outcome.error is None and right
    return outcome


def majority(answers: list[str | None]) -> str | None:
    """The most frequent answer (compared normalised); among equals the first given; None if none."""
    given = [a for a in answers if a is not None]
    if not given:
        return None
    counts = Counter(normalize(a) for a in given)
    top = max(counts.values())
    return next(a for a in given if counts[normalize(a)] == top)


async def _sample(
    services: Services, model: LLMConfig, item: Item, name: str, outcome: Outcome, episode: str | None
) -> None:
    system = f"You are {name}. {INSTRUCTION}"
    if model.system_prompt:
        system = f"{system}\n{model.system_prompt}"
    args: dict[str, Any] = {
        "provider": model.provider,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": question_text(item)}],
        "temperature": model.temperature,
        "max_tokens": model.max_output_tokens,
    }
    if model.model:
        args["model"] = model.model
    if episode is not None:
        args["episode_id"] = episode
    reply = await services.llm("complete", args)
    usage = reply.get("usage") or {}
    outcome.tokens += int(usage.get("input_tokens", 0)) + int(usage.get("output_tokens", 0))
    outcome.cost_usd += float(reply.get("cost_usd", 0.0))
    outcome.calls += 1
    outcome.samples.append(extract(str(reply.get("content", "")), _format(item)))


async def _debate(
    services: Services, method: MethodSpec, item: Item, outcome: Outcome, episode: str | None
) -> None:
    panel = [
        {"name": f"Panelist {i}", "llm_config": config.model_dump(exclude_none=True)}
        for i, config in enumerate(method.panel or [], 1)
    ]
    args: dict[str, Any] = {
        "question": question_text(item),
        "panel": panel,
        "protocol": method.kind,
        "rounds": method.rounds,
        "stop_on_consensus": method.stop_on_consensus,
        "wait": services.deliberate_waits,
    }
    if method.judge is not None:
        args["judge"] = method.judge.model_dump(exclude_none=True)
    if item.choices:
        args["answer_choices"] = item.choices
    if episode is not None:
        args["episode_id"] = episode
    result = await services.debate("deliberate", args)
    debate_id = str(result["debate_id"])
    pause = FIRST_POLL_SECONDS
    try:
        while result.get("running"):
            await asyncio.sleep(pause)
            pause = min(POLL_SECONDS, pause * 2)
            view = await services.debate("get_debate", {"debate_id": debate_id})
            if view.get("state") not in ("created", "running"):
                result = await _finished(view)
    except asyncio.CancelledError:  # the evaluation stops: so does the debate it started (best effort)
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(services.debate("cancel_debate", {"debate_id": debate_id}))
        raise
    outcome.answer = result.get("answer")
    outcome.tokens = int(result.get("tokens", 0))
    outcome.cost_usd = float(result.get("cost_usd", 0.0))
    outcome.calls = int(result.get("calls", 0))
    verdict = result.get("verdict") or {}
    outcome.samples = [b.get("answer") for b in verdict.get("ballots", [])]
    if result.get("state") == "failed":
        outcome.error = f"debate {debate_id} failed: {result.get('stopped_reason')}"
    if method.rounds > 1:
        exported = await services.debate("export_debate", {"debate_id": debate_id, "format": "json"})
        outcome.flips = flips(json.loads(str(exported.get("content", "{}"))), item)


async def _finished(view: dict[str, Any]) -> dict[str, Any]:
    """A finished debate's view in the shape of deliberate's result."""
    verdict = view.get("verdict") or {}
    total = (view.get("ledger") or {}).get("total") or {}
    return {
        "running": False,
        "state": view.get("state"),
        "stopped_reason": view.get("stopped_reason"),
        "answer": verdict.get("answer"),
        "verdict": verdict,
        "tokens": int(total.get("input_tokens", 0)) + int(total.get("output_tokens", 0)),
        "cost_usd": total.get("cost_usd", 0.0),
        "calls": total.get("calls", 0),
    }


def flips(export: dict[str, Any], item: Item) -> dict[str, int]:
    """Per debater, whether its first round's answer and its last round's were right."""
    first: dict[str, bool] = {}
    last: dict[str, bool] = {}
    for message in export.get("messages") or export.get("transcript") or []:
        if message.get("kind") != "turn" or message.get("round") is None:
            continue
        speaker = str(message.get("speaker"))
        if not speaker.startswith("Panelist "):
            continue
        said = extract(str(message.get("content", "")), _format(item))
        right = is_correct(said, item.answer, item.choices, item.check)
        first.setdefault(speaker, right)
        last[speaker] = right
    counts = {"wrong_to_right": 0, "right_to_wrong": 0, "stayed_right": 0, "stayed_wrong": 0}
    for speaker, was in first.items():
        now = last[speaker]
        key = {
            (False, True): "wrong_to_right",
            (True, False): "right_to_wrong",
            (True, True): "stayed_right",
            (False, False): "stayed_wrong",
        }[(was, now)]
        counts[key] += 1
    return counts

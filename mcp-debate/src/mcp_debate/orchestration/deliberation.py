"""``deliberate``: a question in, a verdict out, in one call: the panel debates it and votes (or is judged).

The panel defaults to one participant per configured provider (its default model, from mcp-llm's
``llm://providers``), at least three for an odd vote, cycling through them when fewer are configured;
with none configured but the offline mock, three mock participants. Every member gets a distinct name
taken from its model.

The call waits for the verdict at most ``DELIBERATE_MAX_WAIT`` seconds (45 by default, inside the
minute MCP clients give a tool call). A debate still going then, or any debate with ``wait: false``,
is returned at once with ``running: true`` and its id; the run goes on in the service and the verdict
is read later (``get_debate``, ``debates://{id}``).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from mcp_debate.domain.models import LLMConfig, ParticipantSpec, StoppedReason, VisibleText
from mcp_debate.domain.schedule import ProtocolName
from mcp_debate.domain.states import DebateState
from mcp_debate.domain.verdict import MAX_CHOICES, MAX_PATTERN, Dissent, Verdict
from mcp_debate.llm import CallScope, LLMServiceClient
from mcp_debate.orchestration.creation import CreateDebateArgs
from mcp_debate.orchestration.queries import Queries
from mcp_shared.errors import InvalidRequestError
from mcp_shared.identifiers import EpisodeId

MIN_PANEL = 3
MAX_PANEL = 10
"""A debate takes 12 participants: the panel, a judge and a moderator."""
MAX_DEFAULT_PANEL = 5
NAME_CHARS = 40
OFFLINE_MODEL = "mock-1"


class DeliberateArgs(BaseModel):
    """Arguments of deliberate."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    question: VisibleText = Field(
        min_length=1, max_length=4000, description="The question the panel answers."
    )
    panel: list[ParticipantSpec | LLMConfig] | None = Field(
        default=None,
        min_length=2,
        max_length=MAX_PANEL,
        description="Who answers: llm_configs ({provider, model, ...}) or participants ({name, stance, "
        "llm_config}); default: each configured provider's default model.",
    )
    protocol: ProtocolName = Field(default="vote", description="vote (default), judged or rounds.")
    rounds: int = Field(default=2, ge=1, le=10, description="Rounds (a round is one turn of every debater).")
    judge: LLMConfig | None = Field(
        default=None,
        description="A judge's llm_config: breaks ties in vote, gives the verdict otherwise (judged needs "
        "one; default there: the first panel member's model).",
    )
    moderator: LLMConfig | None = Field(
        default=None, description="A moderator's llm_config: after each round it may stop the debate."
    )
    stop_on_consensus: bool = Field(
        default=True, description="Stop as soon as every debater's final answer agrees after a round."
    )
    answer_choices: list[str] | None = Field(default=None, min_length=2, max_length=MAX_CHOICES)
    answer_pattern: str | None = Field(default=None, min_length=1, max_length=MAX_PATTERN)
    budget_usd: float | None = Field(default=None, gt=0, le=1_000_000)
    budget_tokens: int | None = Field(default=None, ge=1, le=1_000_000_000)
    episode_id: EpisodeId | None = Field(
        default=None,
        description="Sent with every mcp-llm call of the panel's debate (default: the debate id): an "
        "mcp-llm experiment keeps the panel on one variant, and feedback may name the episode.",
    )
    wait: bool = Field(
        default=True,
        description="Wait for the verdict (at most DELIBERATE_MAX_WAIT seconds); false returns the debate id "
        "at once.",
    )


class DeliberateResult(BaseModel):
    debate_id: str
    question: str
    protocol: ProtocolName
    state: DebateState
    running: bool = Field(description="True while the debate goes on: read the verdict later (get_debate).")
    stopped_reason: StoppedReason | None
    answer: str | None = Field(description="The verdict's answer (None while running, for a tie, or none).")
    verdict: Verdict | None
    votes: dict[str, int] = Field(description="Ballots per answer.")
    dissent: list[Dissent] = Field(description="Debaters whose answer differs from the verdict, and why.")
    cost_usd: float
    tokens: int
    calls: int = Field(description="LLM calls made for the debate.")
    panel: list[str] = Field(description="Who took part: name (provider/model), role.")


async def debate_arguments(args: DeliberateArgs, llm: LLMServiceClient) -> CreateDebateArgs:
    members = args.panel if args.panel is not None else await default_panel(llm)
    names = _Names()
    debaters = [
        m if isinstance(m, ParticipantSpec) else ParticipantSpec(name=names.take(_label(m)), llm_config=m)
        for m in members
    ]
    for member in debaters:
        names.reserve(member.name)
    judge = args.judge
    if judge is None and args.protocol == "judged":
        first = debaters[0].llm_config
        judge = LLMConfig(provider=first.provider, model=first.model)
    extra = []
    if judge is not None:
        extra.append(ParticipantSpec(name=names.take("Judge"), role="judge", llm_config=judge))
    if args.moderator is not None:
        extra.append(
            ParticipantSpec(name=names.take("Moderator"), role="moderator", llm_config=args.moderator)
        )
    return CreateDebateArgs(
        name=_title(args.question),
        topic=args.question,
        participants=[*debaters, *extra],
        max_rounds=args.rounds,
        protocol=args.protocol,
        stop_on_consensus=args.stop_on_consensus,
        answer_choices=args.answer_choices,
        answer_pattern=args.answer_pattern,
        budget_usd=args.budget_usd,
        budget_tokens=args.budget_tokens,
        episode_id=args.episode_id,
    )


def in_own_terms(
    error: InvalidRequestError, args: DeliberateArgs, debate: CreateDebateArgs
) -> InvalidRequestError:
    """create_debate's refusal with its fields named as deliberate's caller wrote them (``panel[1]``,
    ``judge``) rather than as the debate made of them (``participants[1].llm_config``)."""
    given = args.panel or []
    names: dict[str, str] = {}
    for i, participant in enumerate(debate.participants):
        if i < len(given):
            names[f"participants[{i}]"] = f"panel[{i}]"
            if isinstance(given[i], LLMConfig):
                names[f"participants[{i}].llm_config"] = f"panel[{i}]"
        elif participant.role in ("judge", "moderator"):
            names[f"participants[{i}].llm_config"] = participant.role
            names[f"participants[{i}]"] = participant.role
        else:
            names[f"participants[{i}]"] = "panel (default)"
    pattern = re.compile(r"participants\[\d+\](?:\.llm_config)?")

    def rename(text: str) -> str:
        return pattern.sub(lambda m: names.get(m.group(0), m.group(0)), text)

    details = dict(error.details)
    if "field" in details:
        details["field"] = rename(str(details["field"]))
    if isinstance(details.get("problems"), list):
        details["problems"] = [
            {**p, "field": rename(str(p.get("field", "")))} if isinstance(p, dict) else p
            for p in details["problems"]
        ]
    message = rename(error.message).replace("'create_debate'", "'deliberate'")
    return InvalidRequestError(message, status=error.status, details=details)


async def default_panel(llm: LLMServiceClient) -> list[LLMConfig]:
    """The configured providers' default models, at least three; three mock participants when none."""
    providers = await llm.providers(CallScope(purpose="default panel"))
    models = [
        LLMConfig(provider=p["key"], model=p["default_model"])
        for p in providers
        if p.get("configured") and p.get("default_model") and p["key"] != "mock"
    ][:MAX_DEFAULT_PANEL]
    if not models:
        models = [LLMConfig(provider="mock", model=OFFLINE_MODEL)]
    panel = list(models)
    while len(panel) < MIN_PANEL:
        panel.append(models[len(panel) % len(models)])
    return panel


async def result(queries: Queries, debate_id: str, question: str) -> DeliberateResult:
    view = await queries.debate(debate_id)
    verdict = view.verdict
    running = not view.state.is_final and view.verdict is None and view.state is not DebateState.FAILED
    votes: dict[str, int] = {}
    for ballot in view.ballots:
        if ballot.answer is not None:
            votes[ballot.answer] = votes.get(ballot.answer, 0) + 1
    total = view.ledger.total
    return DeliberateResult(
        debate_id=view.id,
        question=question,
        protocol=view.protocol,
        state=view.state,
        running=running,
        stopped_reason=view.stopped_reason,
        answer=verdict.answer if verdict else None,
        verdict=verdict,
        votes=verdict.votes if verdict else votes,
        dissent=verdict.dissent if verdict else [],
        cost_usd=total.cost_usd,
        tokens=total.total_tokens,
        calls=total.calls,
        panel=[f"{p.name} ({p.provider}/{p.model}), {p.role}" for p in view.participants],
    )


class _Names:
    """Distinct participant names (compared without case, as the debate compares them)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def reserve(self, name: str) -> None:
        self.used.add(name.casefold())

    def take(self, base: str) -> str:
        name, n = base, 1
        while name.casefold() in self.used:
            n += 1
            name = f"{base} #{n}"
        self.used.add(name.casefold())
        return name


def _label(config: LLMConfig) -> str:
    """A name from the model: its last path part, without characters that read as punctuation in prompts."""
    model = (config.model or config.provider).split("/")[-1]
    cleaned = "".join(c if c.isalnum() or c in "-_. " else "-" for c in model).strip(" .-") or config.provider
    return cleaned[:NAME_CHARS]


def _title(question: str) -> str:
    words = " ".join(question.split())
    return words if len(words) <= 80 else words[:79].rstrip() + "…"

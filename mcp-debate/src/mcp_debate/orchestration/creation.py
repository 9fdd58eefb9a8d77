"""create_debate: participants validated against mcp-llm, then the debate stored in one transaction.

Every problem is reported at once, each naming its field (``participants[2].llm_config.provider``),
so a caller fixes its request in one go. Nothing is stored unless everything is valid.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mcp_debate.context.prompts import normalize_rules
from mcp_debate.domain.clock import utc_now
from mcp_debate.domain.models import (
    Debate,
    LLMConfig,
    Participant,
    ParticipantSpec,
    Visibility,
    VisibleText,
    episode_of,
)
from mcp_debate.domain.schedule import ProtocolName
from mcp_debate.domain.states import DebateState
from mcp_debate.domain.verdict import MAX_CHOICES, MAX_PATTERN, AnswerFormat
from mcp_debate.llm import CallScope, LLMServiceClient
from mcp_debate.protocols.answers import check_pattern
from mcp_debate.store import Database
from mcp_debate.store import debates as debate_rows
from mcp_shared.errors import InvalidRequestError
from mcp_shared.identifiers import EpisodeId

MIN_INPUT_TOKENS = 256
EXPERIMENT_PREFIX = "experiment/"
"""A model ``experiment/<name>`` joins an mcp-llm experiment: its variant chooses the model per episode."""
STRUCTURED_TEMPERATURE = 0.2
"""Judges' and moderators' temperature unless their llm_config sets one: JSON holds up better cold."""
DEFAULT_VISIBILITY: dict[ProtocolName, Visibility] = {
    "rounds": "all",
    "vote": "independent_first",
    "judged": "all",
}


class CreateDebateArgs(BaseModel):
    """Arguments of create_debate."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: VisibleText = Field(min_length=1, max_length=200, description="A title for the debate.")
    topic: VisibleText = Field(min_length=1, max_length=4000, description="The question or motion debated.")
    participants: list[ParticipantSpec] = Field(
        min_length=2,
        max_length=12,
        description="Speakers in speaking order: [{name, stance, llm_config {provider, model, system_prompt, "
        "temperature, max_tokens, max_output_tokens}}].",
    )
    rules: str | list[str] | dict[str, Any] | None = Field(
        default=None,
        description="Rules every participant is given: text, a list, or an object of name: rule.",
    )
    max_rounds: int = Field(
        default=3, ge=1, le=100, description="Rounds before the debate ends; a round is one turn of everyone."
    )
    summarizer: LLMConfig | None = Field(
        default=None, description="Model for summarize_debate (default: the first participant's)."
    )
    protocol: ProtocolName = Field(
        default="rounds",
        description="rounds: the plain debate (a judge, if any, gives a verdict at the end); vote: debaters "
        "answer alone, then revise with the others' answers, and the majority decides (a judge breaks ties); "
        "judged: a moderator may stop after each round, and a judge gives the verdict.",
    )
    visibility: Visibility | None = Field(
        default=None,
        description="What debaters see of each other: all; independent_first (round 1 answered alone; the "
        "vote default); answers_only (others' final answers, never their reasoning).",
    )
    stop_on_consensus: bool = Field(
        default=False, description="End the debate once every debater's final answer agrees after a round."
    )
    stance_check: bool = Field(
        default=False,
        description="Check every turn of a debater with a stance for arguing it (one short call, by the "
        "debate's judge's model, else the debater's own); a turn that argues against its stance is "
        "retried once and, if it still does, stored flagged.",
    )
    answer_pattern: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_PATTERN,
        description="A regular expression that finds a debater's final answer (its first group, if any); "
        'default: a "Final answer: ..." line.',
    )
    answer_choices: list[str] | None = Field(
        default=None,
        min_length=2,
        max_length=MAX_CHOICES,
        description="The answers allowed; anything else counts as no answer.",
    )
    episode_id: EpisodeId | None = Field(
        default=None,
        description="Sent with every mcp-llm call of the debate, so an mcp-llm experiment keeps the whole "
        "debate on one variant and record_feedback can rate it (default: the debate id).",
    )
    budget_usd: float | None = Field(
        default=None, gt=0, le=1_000_000, description="Most the debate may cost, in USD (list prices)."
    )
    budget_tokens: int | None = Field(
        default=None, ge=1, le=1_000_000_000, description="Most tokens the debate may use (in and out)."
    )


class Problems:
    """Field-level problems gathered before failing once."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, field: str, problem: str) -> None:
        self.items.append({"field": field, "problem": problem})

    def raise_if_any(self) -> None:
        if self.items:
            summary = "; ".join(f"{p['field']}: {p['problem']}" for p in self.items)
            raise InvalidRequestError(
                f"invalid arguments of 'create_debate': {summary}",
                status=422,
                details={"field": self.items[0]["field"], "problems": self.items},
            )


def _check_protocol(args: CreateDebateArgs, problems: Problems) -> None:
    roles = [p.role for p in args.participants]
    for role in ("judge", "moderator"):
        if roles.count(role) > 1:
            extra = [i for i, r in enumerate(roles) if r == role][1]
            problems.add(f"participants[{extra}].role", f"a debate has at most one {role}")
    if roles.count("debater") < 2:
        problems.add("participants", f"at least two debaters are needed (found {roles.count('debater')})")
    if args.protocol == "judged" and "judge" not in roles:
        problems.add("protocol", "the judged protocol needs a participant with role 'judge'")
    if args.answer_pattern is not None and (problem := check_pattern(args.answer_pattern)):
        problems.add("answer_pattern", problem)
    if args.answer_choices is not None:
        try:
            AnswerFormat(choices=args.answer_choices)
        except ValidationError as exc:
            problems.add("answer_choices", exc.errors(include_url=False)[0]["msg"])


def answer_format(args: CreateDebateArgs) -> AnswerFormat | None:
    if args.answer_pattern is None and args.answer_choices is None:
        return None
    return AnswerFormat(pattern=args.answer_pattern, choices=args.answer_choices)


def _check_shape(args: CreateDebateArgs, problems: Problems) -> None:
    _check_protocol(args, problems)
    seen: dict[str, int] = {}
    for i, spec in enumerate(args.participants):
        key = spec.name.casefold()
        if key in seen:
            problems.add(
                f"participants[{i}].name", f"'{spec.name}' is already the name of participants[{seen[key]}]"
            )
        else:
            seen[key] = i
        config = spec.llm_config
        if config.max_output_tokens > config.max_tokens // 2:
            problems.add(
                f"participants[{i}].llm_config.max_output_tokens",
                f"{config.max_output_tokens} is more than half of max_tokens ({config.max_tokens})",
            )


class Target(NamedTuple):
    provider: str
    model: str
    context_window: int | None
    input_price: float | None
    output_price: float | None


class _Targets:
    """mcp-llm's providers and the model listings needed to check a set of LLM configs."""

    def __init__(self, catalog: dict[str, dict[str, Any]], listings: dict[str, dict[str, Any]]) -> None:
        self.catalog = catalog
        self.listings = listings

    @staticmethod
    def aliases(catalog: dict[str, dict[str, Any]]) -> dict[str, str]:
        return {alias.lower(): key for key, p in catalog.items() for alias in (key, *p.get("aliases", []))}

    @classmethod
    async def load(cls, configs: list[LLMConfig], llm: LLMServiceClient) -> _Targets:
        scope = CallScope(purpose="participant validation")
        catalog = {p["key"]: p for p in await llm.providers(scope)}
        aliases = cls.aliases(catalog)
        keys = sorted({aliases[c.provider.lower()] for c in configs if c.provider.lower() in aliases})
        listings = await asyncio.gather(*(llm.list_models(k, scope) for k in keys))
        return cls(catalog, dict(zip(keys, listings, strict=True)))

    def resolve(self, config: LLMConfig, field: str, problems: Problems) -> Target | None:
        """Provider key, model, window and prices; or None after recording what is wrong."""
        key = self.aliases(self.catalog).get(config.provider.lower())
        if key is None:
            known = ", ".join(sorted(self.catalog))
            problems.add(
                f"{field}.provider", f"unknown provider '{config.provider}'; mcp-llm offers: {known}"
            )
            return None
        if not self.catalog[key].get("configured"):
            problems.add(
                f"{field}.provider", f"provider '{key}' is not configured on mcp-llm (no credentials)"
            )
            return None
        model = config.model or self.catalog[key].get("default_model")
        if not model:
            problems.add(f"{field}.model", f"provider '{key}' has no default model: name one")
            return None
        if model.startswith(EXPERIMENT_PREFIX):
            # mcp-llm puts each call into the experiment's variant (its model, window and prices); the
            # provider named here is not the one that answers.
            return Target(key, model, None, None, None)
        listing = self.listings[key]
        entry = next((m for m in listing["models"] if m["id"] == model), None)
        # The catalog informs, it does not gate; only a vendor's live list can say a model is not served.
        if entry is None and any(p.get("live") for p in listing["providers"]):
            known = ", ".join(m["id"] for m in listing["models"][:20])
            problems.add(f"{field}.model", f"provider '{key}' does not serve '{model}' (it serves: {known})")
            return None
        prices = (entry or {}).get("prices") or {}
        return Target(
            key,
            model,
            entry.get("context_window") if entry else None,
            prices.get("input_per_mtok"),
            prices.get("output_per_mtok"),
        )


async def _resolve(
    args: CreateDebateArgs, llm: LLMServiceClient, problems: Problems
) -> tuple[list[Participant], LLMConfig | None]:
    """Participants with canonical provider, model (the default when omitted) and window; the summarizer."""
    configs = [s.llm_config for s in args.participants] + ([args.summarizer] if args.summarizer else [])
    targets = await _Targets.load(configs, llm)
    resolved = []
    for i, spec in enumerate(args.participants):
        config = spec.llm_config
        target = targets.resolve(config, f"participants[{i}].llm_config", problems)
        if target is None:
            continue
        structured = spec.role != "debater" and "temperature" not in config.model_fields_set
        resolved.append(
            Participant(
                position=i,
                name=spec.name,
                stance=spec.stance,
                provider=target.provider,
                model=target.model,
                system_prompt=config.system_prompt,
                temperature=STRUCTURED_TEMPERATURE if structured else config.temperature,
                max_tokens=_fitted_budget(config, target.context_window),
                max_output_tokens=config.max_output_tokens,
                context_window=target.context_window,
                role=spec.role,
                input_price=target.input_price,
                output_price=target.output_price,
            )
        )
    summarizer = None
    if args.summarizer is not None:
        target = targets.resolve(args.summarizer, "summarizer", problems)
        if target is not None:
            summarizer = args.summarizer.model_copy(
                update={"provider": target.provider, "model": target.model}
            )
    return resolved, summarizer


def _fitted_budget(config: LLMConfig, window: int | None) -> int:
    """The per-participant budget: as given; left to its default, it fits the window the model is served
    with (a self-hosted server's, learnt by mcp-llm), so a 4,096-token model is not planned for 10,000."""
    if window is None or "max_tokens" in config.model_fields_set:
        return config.max_tokens
    return min(config.max_tokens, window)


def _check_room(participants: list[Participant], margin: float, problems: Problems) -> None:
    for p in participants:
        total = min(p.max_tokens, p.context_window) if p.context_window else p.max_tokens
        room = total - min(p.max_output_tokens, total // 2) - int(total * margin)
        if room < MIN_INPUT_TOKENS:
            problems.add(
                f"participants[{p.position}].llm_config.max_tokens",
                f"leaves {room} tokens for the context of '{p.model}' (window {total}); at least "
                f"{MIN_INPUT_TOKENS} are needed",
            )


async def create_debate(
    args: CreateDebateArgs, llm: LLMServiceClient, db: Database, margin: float, organization: str
) -> Debate:
    """Check and store a debate owned by ``organization`` (the caller's)."""
    problems = Problems()
    _check_shape(args, problems)
    participants, summarizer = await _resolve(args, llm, problems)
    _check_room(participants, margin, problems)
    problems.raise_if_any()
    now = utc_now()
    debate_id = "deb_" + uuid.uuid4().hex[:20]
    debate = Debate(
        id=debate_id,
        name=args.name,
        topic=args.topic,
        rules=normalize_rules(args.rules),
        max_rounds=args.max_rounds,
        state=DebateState.CREATED,
        turns_taken=0,
        summarizer=summarizer,
        organization_id=organization,
        protocol=args.protocol,
        visibility=args.visibility or DEFAULT_VISIBILITY[args.protocol],
        stop_on_consensus=args.stop_on_consensus,
        stance_check=args.stance_check,
        answer_format=answer_format(args),
        episode_id=args.episode_id or episode_of(debate_id),
        budget_usd=args.budget_usd,
        budget_tokens=args.budget_tokens,
        created_at=now,
        updated_at=now,
        participants=participants,
    )
    async with db.write() as conn:
        await debate_rows.insert(conn, debate)
    return debate

"""create_debate: participants validated against mcp-llm, then the debate stored in one transaction.

Every problem is reported at once, each naming its field (``participants[2].llm_config.provider``),
so a caller fixes its request in one go. Nothing is stored unless everything is valid.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mcp_debate.context.prompts import normalize_rules
from mcp_debate.domain.clock import utc_now
from mcp_debate.domain.models import Debate, LLMConfig, Participant, ParticipantSpec
from mcp_debate.domain.states import DebateState
from mcp_debate.llm import CallScope, LLMServiceClient
from mcp_debate.store import Database
from mcp_debate.store import debates as debate_rows
from mcp_shared.errors import InvalidRequestError

MIN_INPUT_TOKENS = 256


class CreateDebateArgs(BaseModel):
    """Arguments of create_debate."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, description="A title for the debate.")
    topic: str = Field(min_length=1, max_length=4000, description="The question or motion debated.")
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


def _check_shape(args: CreateDebateArgs, problems: Problems) -> None:
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

    def resolve(
        self, config: LLMConfig, field: str, problems: Problems
    ) -> tuple[str, str, int | None] | None:
        """(provider key, model, context window) or None after recording what is wrong."""
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
        listing = self.listings[key]
        entry = next((m for m in listing["models"] if m["id"] == model), None)
        # The catalog informs, it does not gate; only a vendor's live list can say a model is not served.
        if entry is None and any(p.get("live") for p in listing["providers"]):
            known = ", ".join(m["id"] for m in listing["models"][:20])
            problems.add(f"{field}.model", f"provider '{key}' does not serve '{model}' (it serves: {known})")
            return None
        return key, model, entry.get("context_window") if entry else None


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
        provider, model, window = target
        resolved.append(
            Participant(
                position=i,
                name=spec.name,
                stance=spec.stance,
                provider=provider,
                model=model,
                system_prompt=config.system_prompt,
                temperature=config.temperature,
                max_tokens=config.max_tokens,
                max_output_tokens=config.max_output_tokens,
                context_window=window,
            )
        )
    summarizer = None
    if args.summarizer is not None:
        target = targets.resolve(args.summarizer, "summarizer", problems)
        if target is not None:
            summarizer = args.summarizer.model_copy(update={"provider": target[0], "model": target[1]})
    return resolved, summarizer


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
    debate = Debate(
        id="deb_" + uuid.uuid4().hex[:20],
        name=args.name,
        topic=args.topic,
        rules=normalize_rules(args.rules),
        max_rounds=args.max_rounds,
        state=DebateState.CREATED,
        turns_taken=0,
        summarizer=summarizer,
        organization_id=organization,
        created_at=now,
        updated_at=now,
        participants=participants,
    )
    async with db.write() as conn:
        await debate_rows.insert(conn, debate)
    return debate

"""What a debate is made of: participants, messages, summaries, snapshots and the ledger.

These models are both the stored records and what tools and resources return, so their field
descriptions are written for the caller.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, computed_field

from mcp_debate.domain import schedule
from mcp_debate.domain.schedule import Phase, ProtocolName, Role, Step
from mcp_debate.domain.states import DebateState
from mcp_debate.domain.verdict import AnswerFormat, Ballot, Verdict
from mcp_shared.auth import DEFAULT_ORGANIZATION
from mcp_shared.identifiers import ModelName, ProviderName, bounds, charset
from mcp_shared.models import ChatMessage

DEFAULT_CONTEXT_BUDGET = 10_000
DEFAULT_MAX_OUTPUT = 1024

DebateId = Annotated[str, bounds("_-", 64, "The debate's id (deb_...)."), charset("a debate id", "_-")]
"""A debate id as callers give it (tool arguments, resource URIs, HTTP paths)."""


def _visible(value: str) -> str:
    """Refuse text with nothing to read (only spaces or control characters): a debate cannot be about it."""
    if not any(ch.isprintable() and not ch.isspace() for ch in value):
        raise ValueError("must contain visible text")
    return value


VisibleText = Annotated[str, AfterValidator(_visible)]
"""Free text a caller writes (a title, a topic, a question, a message) that must say something."""
MAX_POSITION = 1_000_000_000
"""Largest offset or message sequence number a caller may page from (far below SQLite's 2^63)."""

MessageKind = Literal["turn", "external"]
TokenMethod = Literal["exact", "provider_api", "estimate", "local"]
Visibility = Literal["all", "independent_first", "answers_only"]
EndReason = Literal["completed", "consensus", "moderator", "budget_exhausted"]
StoppedReason = Literal["completed", "consensus", "moderator", "budget_exhausted", "cancelled", "failed"]


class LLMConfig(BaseModel):
    """How a participant's turns are generated, through mcp-llm."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    provider: ProviderName = Field(description="mcp-llm provider key or alias, e.g. mock.")
    model: ModelName | None = Field(
        default=None, description="Model name; the provider's default when omitted."
    )
    system_prompt: str | None = Field(
        default=None, max_length=20_000, description="Extra instructions for this participant."
    )
    temperature: float = Field(default=0.7, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: int = Field(
        default=DEFAULT_CONTEXT_BUDGET,
        ge=512,
        le=2_000_000,
        description="Token budget of one turn: everything sent plus the reply fit in it (older messages "
        "are summarized to stay inside).",
    )
    max_output_tokens: int = Field(
        default=DEFAULT_MAX_OUTPUT, ge=16, le=200_000, description="Longest reply of one turn, in tokens."
    )


class ParticipantSpec(BaseModel):
    """A participant as given to create_debate."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(
        min_length=1, max_length=64, pattern=r"^[^\r\n\t]+$", description="Unique speaker name."
    )
    stance: str | None = Field(
        default=None, max_length=2000, description="The position this participant argues."
    )
    role: Role = Field(
        default="debater",
        description="debater (takes turns), judge (gives the verdict) or moderator (decides after each round "
        "whether the debate goes on).",
    )
    llm_config: LLMConfig


class Participant(BaseModel):
    """A participant of a stored debate; ``position`` is its place in the speaking order (0-based)."""

    position: int
    name: str
    stance: str | None
    provider: str
    model: str
    system_prompt: str | None
    temperature: float
    max_tokens: int
    max_output_tokens: int
    context_window: int | None = Field(
        default=None, description="The model's context window as mcp-llm reports it, when known."
    )
    role: Role = "debater"
    input_price: float | None = Field(
        default=None, description="USD per million input tokens, from mcp-llm's list_models (None: unknown)."
    )
    output_price: float | None = Field(
        default=None, description="USD per million output tokens, from mcp-llm's list_models (None: unknown)."
    )


class Message(BaseModel):
    """One message of a debate: a participant's turn, or a message added from outside."""

    id: int
    debate_id: str
    seq: int = Field(description="Order within the debate, from 1.")
    kind: MessageKind
    round: int | None = Field(description="Round of a turn, from 1 (None for added messages).")
    turn: int | None = Field(description="Turn number within the debate, from 1 (None for added messages).")
    participant: int | None = Field(description="Speaking position of the participant, for turns.")
    speaker: str
    content: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    provider: str | None = None
    model: str | None = None
    finish_reason: str | None = None
    cached: bool = False
    request_id: str | None = None
    cache_read_tokens: int = Field(
        default=0, description="Input tokens the vendor read from its prompt cache."
    )
    cache_write_tokens: int = Field(
        default=0, description="Input tokens the vendor wrote to its prompt cache."
    )
    cache_saving_usd: float = Field(
        default=0.0, description="What the vendor's prompt cache saved on this turn (mcp-llm's figure)."
    )
    answer: str | None = Field(
        default=None, description="A debater's final answer as read from its turn (None: none could be read)."
    )
    structured: dict[str, Any] | None = Field(
        default=None, description="A judge's verdict or a moderator's decision, as validated."
    )
    calls: int = Field(default=1, description="LLM calls the step made (a judge re-asked makes two).")
    created_at: str
    stance_check: dict[str, Any] | None = Field(
        default=None,
        description="With stance_check on: whether the turn argues its stance (consistent true/false, or "
        "null when the check could not be read), the checker's reason, and whether the turn was retried.",
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def truncated(self) -> bool:
        """The reply was cut at its token cap (finish_reason ``length``): the turn ends mid-thought."""
        return self.finish_reason == "length"


class SideSummary(BaseModel):
    """One participant's position and key claims, as a summary keeps them."""

    participant: str
    stance: str | None
    text: str
    source: Literal["llm", "extract", "carried"] = Field(
        description="llm: written by the summarizer; extract: taken from the participant's own words; "
        "carried: unchanged from the previous summary."
    )


class Summary(BaseModel):
    """A summary made through mcp-llm, and exactly which messages it covers (a prefix of the debate)."""

    id: int
    debate_id: str
    scope: Literal["context", "debate"] = Field(
        description="context: replaces older messages in one participant's context; debate: summarize_debate."
    )
    participant: int | None = Field(description="Whose context it belongs to (context summaries).")
    covers_from_seq: int
    covers_to_seq: int
    message_count: int
    sides: list[SideSummary]
    narrative: str
    content: str = Field(description="The summary as sent to participants.")
    provider: str | None = None
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    created_at: str
    calls: int = Field(default=1, description="LLM calls made for it (one per chunk, and per re-ask).")
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_saving_usd: float = 0.0


class ContextSnapshot(BaseModel):
    """What one turn's participant was sent: the summary, the messages kept verbatim, the token count."""

    turn: int
    participant: int
    summary_id: int | None
    first_seq: int | None = Field(description="First message sent verbatim (None when none was).")
    last_seq: int | None
    message_count: int
    tokens: int = Field(description="Tokens of everything sent, as counted before sending.")
    token_method: TokenMethod
    budget: int = Field(description="Input budget: max_tokens minus the reply reserve and the margin.")
    created_at: str
    messages: list[ChatMessage] | None = Field(
        default=None,
        description="The chat messages sent for the turn (None for turns stored before they were kept).",
    )


class LedgerLine(BaseModel):
    """Tokens and cost of one participant (its turns and the context summaries made for it)."""

    name: str
    turns: int = 0
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cache_read_tokens: int = Field(
        default=0, description="Of input_tokens, those read from the vendor's prompt cache."
    )
    cache_write_tokens: int = Field(
        default=0, description="Of input_tokens, those written to the vendor's prompt cache."
    )
    cache_saving_usd: float = Field(
        default=0.0, description="What the prompt cache saved: cost at the plain input rate minus cost_usd."
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class Ledger(BaseModel):
    """Per participant, debate summaries, and in total."""

    participants: list[LedgerLine]
    summaries: LedgerLine
    total: LedgerLine


def episode_of(debate_id: str) -> str:
    """The episode a debate's calls carry when its creator named none: the debate's id."""
    return debate_id


class Debate(BaseModel):
    """A debate and its participants, in speaking order."""

    id: str
    name: str
    topic: str
    rules: list[str]
    max_rounds: int
    state: DebateState
    turns_taken: int = Field(description="Steps committed: debaters' turns, moderators' decisions, verdicts.")
    run_target: int | None = Field(
        default=None, description="Turn count a run (run_debate) is driving the debate to, if one is active."
    )
    last_error: dict[str, Any] | None = None
    summarizer: LLMConfig | None = None
    organization_id: str = Field(
        default=DEFAULT_ORGANIZATION,
        description="The organization that created the debate: only it sees the debate, and its LLM calls "
        "are billed to it.",
    )
    protocol: ProtocolName = "rounds"
    visibility: Visibility = "all"
    stop_on_consensus: bool = False
    stance_check: bool = Field(
        default=False,
        description="Each debater's turn with a stance is checked for arguing it (one cheap call).",
    )
    answer_format: AnswerFormat | None = None
    episode_id: str | None = Field(
        default=None,
        description="Sent with every mcp-llm call of the debate: an experiment keeps the whole debate on "
        "one variant, and feedback may name it (default: the debate id).",
    )
    budget_usd: float | None = None
    budget_tokens: int | None = None
    phase: Phase = Field(
        default="debate",
        description="debate: rounds under way; closing: the rounds are over, the judge is due.",
    )
    stopped_reason: StoppedReason | None = Field(
        default=None,
        description="Why the debate stopped (or its rounds did, while the judge is due): completed, "
        "consensus, moderator, budget_exhausted, cancelled or failed; None while it goes on.",
    )
    verdict: Verdict | None = Field(
        default=None,
        description="What the debate decided, once it has (None for a debate with neither a judge nor "
        "answers).",
    )
    ballots: list[Ballot] = Field(
        default_factory=list, description="The vote so far: each debater's latest readable final answer."
    )
    created_at: str
    updated_at: str
    participants: list[Participant]

    @property
    def roles(self) -> list[Role]:
        return [p.role for p in self.participants]

    @property
    def debaters(self) -> list[Participant]:
        return [p for p in self.participants if p.role == "debater"]

    def with_role(self, role: Role) -> Participant | None:
        return next((p for p in self.participants if p.role == role), None)

    @property
    def asks_for_answers(self) -> bool:
        """Whether debaters end each turn with a final answer: in vote and judged, and whenever answers are
        compared (stop_on_consensus) or given a format."""
        return self.protocol != "rounds" or self.stop_on_consensus or self.answer_format is not None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_turns(self) -> int:
        """Steps in all: as planned, or as taken once the rounds have stopped."""
        if self.state is DebateState.COMPLETED:
            return self.turns_taken
        if self.phase == "closing":
            return self.turns_taken + 1
        return schedule.planned_steps(self.protocol, self.roles, self.max_rounds)

    @property
    def most_steps(self) -> int:
        """The most steps the debate can take (a run to the end aims here)."""
        return schedule.most_steps(self.roles, self.max_rounds)

    def next_step(self) -> Step | None:
        if self.state.is_final or not self.participants:
            return None
        return schedule.next_step(self.roles, self.max_rounds, self.turns_taken, self.phase)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def current_round(self) -> int:
        """The round the next step belongs to (the last round reached once the debate is over)."""
        if not self.participants:
            return 0
        step = self.next_step()
        if step is not None:
            return step.round
        steps = schedule.sequence(self.roles, self.max_rounds)
        return steps[min(self.turns_taken, len(steps)) - 1].round if self.turns_taken and steps else 1

    @computed_field  # type: ignore[prop-decorator]
    @property
    def next_speaker(self) -> str | None:
        nxt = self.next_participant()
        return nxt.name if nxt else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def next_step_kind(self) -> str | None:
        """turn (a debater), moderation (the moderator) or verdict (the judge); None when nothing is due."""
        step = self.next_step()
        return step.kind if step else None

    def next_participant(self) -> Participant | None:
        step = self.next_step()
        return self.participants[step.position] if step else None


class DebateView(Debate):
    """A debate as get_debate shows it: with its ledger and whether a run drives it in this process."""

    ledger: Ledger
    run_active: bool = False
    message_count: int = 0


class DebateListItem(BaseModel):
    id: str
    name: str
    topic: str
    state: DebateState
    turns_taken: int
    total_turns: int
    protocol: ProtocolName = "rounds"
    stopped_reason: StoppedReason | None = None
    created_at: str
    updated_at: str

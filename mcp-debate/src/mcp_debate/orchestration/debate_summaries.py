"""summarize_debate: one summary of the whole debate so far, made incrementally, in one call where it fits.

The latest debate summary is reused and only the messages after it are folded in, so summarizing
after every round costs one short call, and summarizing twice in a row costs nothing.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from mcp_debate.context.manager import ContextManager
from mcp_debate.context.summarizer import Summarizer, SummaryMaker
from mcp_debate.domain.models import DEFAULT_CONTEXT_BUDGET, Debate, DebateId, Summary
from mcp_debate.llm import CallScope
from mcp_debate.metrics import DebateMetrics
from mcp_debate.orchestration.lookup import require_debate
from mcp_debate.store import Database
from mcp_debate.store import messages as message_rows
from mcp_debate.store import summaries as summary_rows
from mcp_shared.errors import InvalidRequestError
from mcp_shared.identifiers import ModelName, ProviderName


class SummarizeArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    debate_id: DebateId
    provider: ProviderName | None = Field(
        default=None, description="Provider of the summarizing model (default: the debate's summarizer)."
    )
    model: ModelName | None = Field(default=None, description="Summarizing model.")
    max_tokens: int = Field(default=1024, ge=64, le=8192, description="Longest summary, in tokens.")


class DebateSummaries:
    def __init__(
        self, db: Database, maker: SummaryMaker, contexts: ContextManager, metrics: DebateMetrics
    ) -> None:
        self.db = db
        self.maker = maker
        self.contexts = contexts
        self.metrics = metrics

    async def summarize(self, args: SummarizeArgs) -> Summary:
        async with self.db.read() as conn:
            debate = await require_debate(conn, args.debate_id)
            previous = await summary_rows.latest(conn, debate.id, "debate")
            fresh = await message_rows.page(conn, debate.id, previous.covers_to_seq if previous else 0)
        if not fresh:
            if previous is not None:
                return previous
            raise InvalidRequestError(
                f"debate {debate.id} has no messages to summarize yet",
                status=409,
                details={"field": "debate_id"},
            )
        writer, allowance = self._writer(debate, args)
        draft = await self.maker.make(
            debate,
            writer,
            previous,
            fresh,
            allowance,
            CallScope(
                debate.id,
                None,
                writer.provider,
                writer.model,
                purpose="debate summary",
                organization=debate.organization_id,
                episode=debate.episode_id,
            ),
            kind="debate",
        )
        async with self.db.write() as conn:
            stored = await summary_rows.insert(conn, draft)
        self.metrics.summaries.labels("debate").inc()
        return stored

    def _writer(self, debate: Debate, args: SummarizeArgs) -> tuple[Summarizer, int]:
        """Who writes the summary, with the room its prompt has; and the summary's token allowance."""
        first = debate.participants[0]
        if args.provider or args.model:
            provider = args.provider or first.provider
            model = args.model or (first.model if provider == first.provider else None)
            if model is None:
                raise InvalidRequestError(
                    "name the model when the provider differs from the first participant's",
                    status=422,
                    details={"field": "model"},
                )
            budget = DEFAULT_CONTEXT_BUDGET
        elif debate.summarizer is not None and debate.summarizer.model:
            provider, model, budget = (
                debate.summarizer.provider,
                debate.summarizer.model,
                debate.summarizer.max_tokens,
            )
        else:
            provider, model = first.provider, first.model
            budget = self.contexts.budget(first).total
        # The summary's length fits the writer's window (a quarter of it at most); the prompt gets the
        # rest, so a debate that fits is summarized in one call, not one call per message.
        allowance = max(64, min(args.max_tokens, budget // 4))
        room = budget - allowance - math.ceil(budget * self.contexts.margin)
        return Summarizer(provider, model, max(room, 256)), allowance

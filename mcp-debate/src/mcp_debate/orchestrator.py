"""The orchestrator assembled: storage, the mcp-llm client, context planning, turns, runs, views."""

from __future__ import annotations

from mcp_debate.context.manager import ContextManager
from mcp_debate.context.summarizer import SummaryMaker
from mcp_debate.domain.models import Debate
from mcp_debate.hub import DebateHub
from mcp_debate.llm import LLMServiceClient
from mcp_debate.metrics import DebateMetrics
from mcp_debate.orchestration.budgets import BudgetGate
from mcp_debate.orchestration.contexts import ContextAssembler
from mcp_debate.orchestration.creation import CreateDebateArgs, create_debate
from mcp_debate.orchestration.debate_summaries import DebateSummaries
from mcp_debate.orchestration.leases import Leases
from mcp_debate.orchestration.lifecycle import Lifecycle
from mcp_debate.orchestration.lookup import require_owned
from mcp_debate.orchestration.queries import Queries
from mcp_debate.orchestration.runs import DebateRunner
from mcp_debate.orchestration.takeover import RunSweeper
from mcp_debate.orchestration.turns import TurnRunner
from mcp_debate.protocols import prompts as protocol_prompts
from mcp_debate.store import Database


class Orchestrator:
    """Everything the tools, resources and HTTP mirrors call into."""

    def __init__(
        self,
        db: Database,
        llm: LLMServiceClient,
        metrics: DebateMetrics,
        *,
        margin: float = 0.1,
        verify_ratio: float = 0.7,
        run_retry_window: float = 60.0,
        deliberate_wait: float = 45.0,
        lease_duration: float = 30.0,
        lease_heartbeat: float = 10.0,
    ) -> None:
        self.db = db
        self.leases = Leases(db, lease_duration, lease_heartbeat)
        self.hub = DebateHub()
        db.on_commit = self.hub.committed
        self.llm = llm
        self.margin = margin
        self.deliberate_wait = deliberate_wait
        """Seconds deliberate waits for a verdict before returning the debate id."""
        self.contexts = ContextManager(margin=margin, roles=protocol_prompts.adapt)
        maker = SummaryMaker(llm)
        assembler = ContextAssembler(db, llm, self.contexts, maker, metrics, verify_ratio)
        self.turns = TurnRunner(
            db, llm, assembler, metrics, BudgetGate(db, self.contexts), self.hub, self.leases
        )
        self.runner = DebateRunner(db, self.turns, metrics, patience=run_retry_window, leases=self.leases)
        self.sweeper = RunSweeper(self.leases, self.runner)
        self.lifecycle = Lifecycle(db, self.runner)
        self.queries = Queries(db, self.runner, self.contexts)
        self.summaries = DebateSummaries(db, maker, self.contexts, metrics)

    async def create(self, args: CreateDebateArgs, organization: str) -> Debate:
        return await create_debate(args, self.llm, self.db, self.margin, organization)

    async def check_access(self, debate_id: str, organization: str) -> None:
        """Raise the unknown-debate error unless ``organization`` owns the debate (checked at every edge:
        tools, resources and HTTP mirrors, before anything reads or changes the debate)."""
        async with self.db.read() as conn:
            await require_owned(conn, debate_id, organization)

    async def aclose(self) -> None:
        """Stop runs and turns in flight (their progress is kept: runs resume at the next start)."""
        await self.sweeper.aclose()
        await self.runner.aclose()
        await self.turns.aclose()

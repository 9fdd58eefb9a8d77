"""The ledger: tokens and cost per participant (turns plus their context summaries), summaries, total.

Cache reads and writes are counted within the input tokens, as mcp-llm reports them; the saving is
mcp-llm's ``cache_saving_usd`` of each call, added up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp_debate.domain.models import Ledger, LedgerLine, Participant
from mcp_debate.store.connection import Connection, rows

_SUMS = (
    "SUM(calls), SUM(input_tokens), SUM(output_tokens), SUM(cost_usd), "
    "SUM(cache_read_tokens), SUM(cache_write_tokens), SUM(cache_saving_usd)"
)
_ADDED = ("calls", "input_tokens", "output_tokens", "cost_usd", "cache_read_tokens", "cache_write_tokens")


def _add(line: LedgerLine, values: Sequence[Any]) -> None:
    """Add one row's sums (NULL when a group has none) to ``line``."""
    calls, tokens_in, tokens_out, cost, read, write, saving = (v or 0 for v in values)
    line.calls += calls
    line.input_tokens += tokens_in
    line.output_tokens += tokens_out
    line.cost_usd += cost
    line.cache_read_tokens += read
    line.cache_write_tokens += write
    line.cache_saving_usd += saving


async def compute(conn: Connection, debate_id: str, participants: list[Participant]) -> Ledger:
    lines = {p.position: LedgerLine(name=p.name) for p in participants}
    for position, turns, *sums in await rows(
        conn,
        f"SELECT participant, COUNT(*), {_SUMS} "  # noqa: S608
        "FROM messages WHERE debate_id = ? AND kind = 'turn' GROUP BY participant",
        (debate_id,),
    ):
        lines[position].turns = turns
        _add(lines[position], sums)
    summaries = LedgerLine(name="debate summaries")
    for position, *sums in await rows(
        conn,
        f"SELECT participant, {_SUMS} FROM summaries WHERE debate_id = ? GROUP BY participant",  # noqa: S608
        (debate_id,),
    ):
        _add(summaries if position is None else lines[position], sums)
    everyone = [*lines.values(), summaries]
    total = LedgerLine(
        name="total",
        turns=sum(x.turns for x in everyone),
        cache_saving_usd=sum(x.cache_saving_usd for x in everyone),
        **{field: sum(getattr(x, field) for x in everyone) for field in _ADDED},
    )
    for line in [*everyone, total]:
        line.cost_usd = round(line.cost_usd, 8)
        line.cache_saving_usd = round(line.cache_saving_usd, 8)
    return Ledger(participants=list(lines.values()), summaries=summaries, total=total)

"""The ledger: tokens and cost per participant (turns plus their context summaries), summaries, total."""

from __future__ import annotations

from mcp_debate.domain.models import Ledger, LedgerLine, Participant
from mcp_debate.store.connection import Connection, rows


async def compute(conn: Connection, debate_id: str, participants: list[Participant]) -> Ledger:
    lines = {p.position: LedgerLine(name=p.name) for p in participants}
    for position, turns, calls, tokens_in, tokens_out, cost in await rows(
        conn,
        "SELECT participant, COUNT(*), SUM(calls), SUM(input_tokens), SUM(output_tokens), SUM(cost_usd) "
        "FROM messages WHERE debate_id = ? AND kind = 'turn' GROUP BY participant",
        (debate_id,),
    ):
        line = lines[position]
        line.turns, line.calls = turns, calls
        line.input_tokens, line.output_tokens, line.cost_usd = tokens_in, tokens_out, cost
    summaries = LedgerLine(name="debate summaries")
    for position, calls, tokens_in, tokens_out, cost in await rows(
        conn,
        "SELECT participant, SUM(calls), SUM(input_tokens), SUM(output_tokens), SUM(cost_usd) "
        "FROM summaries WHERE debate_id = ? GROUP BY participant",
        (debate_id,),
    ):
        line = summaries if position is None else lines[position]
        line.calls += calls
        line.input_tokens += tokens_in
        line.output_tokens += tokens_out
        line.cost_usd += cost
    everyone = [*lines.values(), summaries]
    total = LedgerLine(
        name="total",
        turns=sum(x.turns for x in everyone),
        calls=sum(x.calls for x in everyone),
        input_tokens=sum(x.input_tokens for x in everyone),
        output_tokens=sum(x.output_tokens for x in everyone),
        cost_usd=sum(x.cost_usd for x in everyone),
    )
    for line in [*everyone, total]:
        line.cost_usd = round(line.cost_usd, 8)
    return Ledger(participants=list(lines.values()), summaries=summaries, total=total)

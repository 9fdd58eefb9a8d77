"""Budgets: whether the next LLM call may be made, decided before it is made.

A call *reserves* its prompt's tokens (as counted for the context) plus its longest reply
(``max_output_tokens``), priced at the model's list prices from mcp-llm (``list_models``; a model
mcp-llm cannot price counts as free, so ``budget_tokens`` is what bounds it). The call is made when
what the debate has spent (its ledger: turns, verdicts, decisions, context summaries) plus its
reservation stays within ``budget_usd`` and ``budget_tokens``.

So that a judge still gets its say, every call before the verdict also reserves the judge's call as
it would be if this call were the last: the judge's prompt as it stands, grown by this call's longest
reply, plus the judge's longest reply. A debate stops with ``budget_exhausted`` as soon as a call does
not fit that way, and the judge (reserved for all along) gives the verdict on what exists. In ``vote``
the judge only breaks ties, so nothing is reserved for it: it speaks after a budget stop only if the
tie-break still fits, else the verdict is the vote (a tie stated as a tie).
"""

from __future__ import annotations

from dataclasses import dataclass

from mcp_debate.domain.models import Debate, Participant

PER_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class Cost:
    tokens: int = 0
    usd: float = 0.0

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.tokens + other.tokens, self.usd + other.usd)


def reservation(me: Participant, prompt_tokens: int, max_output: int) -> Cost:
    """What one call of ``me`` may cost at most: its prompt plus its longest reply, at its list prices."""
    usd = (prompt_tokens * (me.input_price or 0.0) + max_output * (me.output_price or 0.0)) / PER_MILLION
    return Cost(prompt_tokens + max_output, usd)


def fits(debate: Debate, spent: Cost, *reserved: Cost) -> bool:
    """Whether ``spent`` plus every reservation stays within the debate's budgets (no budget: always)."""
    total = sum(reserved, spent)
    if debate.budget_tokens is not None and total.tokens > debate.budget_tokens:
        return False
    return debate.budget_usd is None or total.usd <= debate.budget_usd + 1e-12


def has_budget(debate: Debate) -> bool:
    return debate.budget_tokens is not None or debate.budget_usd is not None


def describe(debate: Debate, spent: Cost, needed: Cost) -> str:
    """Why a call did not fit, for the verdict's note and the logs."""
    limits = []
    if debate.budget_tokens is not None:
        limits.append(
            f"{spent.tokens} of {debate.budget_tokens} tokens spent, the next call needs {needed.tokens}"
        )
    if debate.budget_usd is not None:
        limits.append(
            f"${spent.usd:.6f} of ${debate.budget_usd:.6f} spent, the next call needs ${needed.usd:.6f}"
        )
    return "; ".join(limits)

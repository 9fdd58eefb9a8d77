"""``ContextManager``: what one participant is sent for its next turn, within its token budget.

Pure planning, no I/O: given the debate, the participant, its latest context summary and the
messages after it, :meth:`ContextManager.plan` either returns the exact chat messages to send, or
says which older messages must first be folded into a new summary. The orchestrator makes the
summary through mcp-llm and plans again.

Budget of a turn: ``min(max_tokens, model window)`` less the reply reserve (``max_output_tokens``)
and a margin (``CONTEXT_MARGIN`` of the total). When history must be summarized, the cut goes
deeper than strictly needed (recent messages keep ``keep_ratio`` of their room), so a summary is
made every few turns rather than on every turn.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from mcp_debate.context import prompts
from mcp_debate.context.tokens import PER_REQUEST, estimate_message, estimate_messages
from mcp_debate.domain.models import Debate, Message, Participant, Summary
from mcp_shared.errors import ContextLengthExceededError
from mcp_shared.models import ChatMessage

MIN_SUMMARY_TOKENS = 128
MAX_SUMMARY_TOKENS = 2048
TOKENS_PER_WORD = 1.5
"""Generous for English prose with some Markdown: a reply that keeps to a word rule is not cut."""
REPLY_SLACK = 24
_WORD_RULE = re.compile(
    r"\b(?:at most|max(?:imum)?|no more than|not more than|under|fewer than|less than|up to|limit(?:ed)? to"
    r"|within)\s+(\d{1,5})\s+words\b",
    re.IGNORECASE,
)


def word_limit(rules: list[str]) -> int | None:
    """The tightest "at most N words" (or alike) among the rules, if any says so."""
    found = [int(m.group(1)) for rule in rules for m in _WORD_RULE.finditer(rule)]
    found = [n for n in found if n > 0]
    return min(found) if found else None


def reply_cap(words: int) -> int:
    """Reply tokens that hold ``words`` words with room to finish the sentence."""
    return math.ceil(words * TOKENS_PER_WORD) + REPLY_SLACK


RolePrompts = Callable[[Debate, Participant, str, str], tuple[str, str]]


def _as_given(debate: Debate, me: Participant, system: str, instruction: str) -> tuple[str, str]:
    return system, instruction


@dataclass(frozen=True, slots=True)
class Budget:
    total: int
    reserve: int
    margin: int

    @property
    def input(self) -> int:
        """Tokens everything sent may take."""
        return self.total - self.reserve - self.margin


@dataclass(frozen=True, slots=True)
class Ready:
    """The context to send."""

    messages: list[ChatMessage]
    tokens: int
    budget: Budget
    summary: Summary | None
    verbatim: list[Message]
    """History messages sent as they are (the rest is covered by ``summary``)."""
    dropped: int = 0
    """Messages neither sent nor summarized (only when a summary could not make room)."""


@dataclass(frozen=True, slots=True)
class NeedsSummary:
    """Messages up to ``cover_to_seq`` must be folded into a summary of at most ``max_tokens``."""

    cover_to_seq: int
    max_tokens: int


class ContextManager:
    """Plans each participant's context; one instance serves every debate."""

    def __init__(
        self,
        margin: float = 0.1,
        keep_ratio: float = 0.6,
        summary_share: float = 0.25,
        roles: RolePrompts | None = None,
    ) -> None:
        self.roles = roles or _as_given
        """Turns a debater's system prompt and instruction into those of the participant's role."""
        self.margin = margin
        self.keep_ratio = keep_ratio
        self.summary_share = summary_share

    def budget(self, me: Participant, debate: Debate | None = None) -> Budget:
        """``debate``: when given, a debater's reply cap follows a word rule of the debate's rules
        (``reply_cap``) instead of ``max_output_tokens``: a turn that keeps to the rule is never cut,
        and one that runs on is stopped near where the rule says."""
        total = min(me.max_tokens, me.context_window) if me.context_window else me.max_tokens
        words = word_limit(debate.rules) if debate is not None and me.role == "debater" else None
        cap = reply_cap(words) if words else me.max_output_tokens
        reserve = min(cap, total // 2)
        return Budget(total=total, reserve=reserve, margin=math.ceil(total * self.margin))

    def summary_tokens(self, budget: Budget) -> int:
        return max(MIN_SUMMARY_TOKENS, min(MAX_SUMMARY_TOKENS, int(budget.input * self.summary_share)))

    def fixed_parts(self, debate: Debate, me: Participant) -> tuple[str, str]:
        """System prompt and turn instruction for the participant's next turn (its role's, in a protocol)."""
        spoken_before = debate.current_round > 1
        return self.roles(
            debate,
            me,
            prompts.system_prompt(debate, me),
            prompts.turn_instruction(debate, me, debate.current_round, spoken_before),
        )

    def plan(
        self,
        debate: Debate,
        me: Participant,
        history: list[Message],
        summary: Summary | None,
        *,
        shrink: int = 0,
        force: bool = False,
    ) -> Ready | NeedsSummary:
        """``history``: the messages after ``summary``'s coverage, oldest first.

        ``shrink`` takes tokens off the budget (after mcp-llm counted more than estimated);
        ``force`` fits without asking for a summary, leaving out what does not fit.
        """
        budget = self.budget(me, debate)
        system, instruction = self.fixed_parts(debate, me)
        fixed = estimate_message(system) + estimate_message(instruction) + PER_REQUEST
        summary_cost = estimate_message(summary.content) if summary else 0
        available = budget.input - shrink - fixed - summary_cost
        if budget.input - shrink - fixed < MIN_SUMMARY_TOKENS:
            raise ContextLengthExceededError(
                f"participant '{me.name}': the system prompt, topic, rules and instruction take {fixed} "
                f"tokens, leaving no room in a budget of {budget.input} input tokens; raise max_tokens",
                provider=me.provider,
                model=me.model,
            )
        costs = [estimate_message(prompts.as_chat(m, me).content) for m in history]
        kept = _fit_newest(costs, available)
        if kept < len(history) and not force:
            room = (budget.input - shrink - fixed - self.summary_tokens(budget)) * self.keep_ratio
            # The newest n-1 messages stay verbatim (each other participant's latest turn) whenever they
            # fit: a summary is for what is older, and a participant must not lose the words it answers.
            keep = max(min(kept, _fit_newest(costs, room)), min(kept, len(debate.participants) - 1))
            return NeedsSummary(
                cover_to_seq=history[len(history) - keep - 1].seq, max_tokens=self.summary_tokens(budget)
            )
        verbatim = history[len(history) - kept :] if kept else []
        messages = _assemble(debate, me, system, instruction, summary, verbatim)
        return Ready(
            messages=messages,
            tokens=estimate_messages(messages),
            budget=budget,
            summary=summary,
            verbatim=verbatim,
            dropped=len(history) - kept,
        )


def _fit_newest(costs: list[int], room: float) -> int:
    """How many of the newest messages fit in ``room`` tokens."""
    used, kept = 0, 0
    for cost in reversed(costs):
        if used + cost > room:
            break
        used += cost
        kept += 1
    return kept


def _assemble(
    debate: Debate,
    me: Participant,
    system: str,
    instruction: str,
    summary: Summary | None,
    verbatim: list[Message],
) -> list[ChatMessage]:
    """System, summary, transcript, labelled instruction; same-role neighbours merged, a user message first.

    The instruction keeps its label after a merge, so it never reads as part of the previous speaker's words.
    """
    body: list[ChatMessage] = []
    if summary is not None:
        body.append(ChatMessage(role="user", content=summary.content))
    body += [prompts.as_chat(m, me) for m in verbatim]
    body.append(ChatMessage(role="user", content=prompts.labelled(instruction)))
    if body[0].role == "assistant":
        body.insert(0, ChatMessage(role="user", content=prompts.opening_line(debate)))
    merged: list[ChatMessage] = []
    for message in body:
        if merged and merged[-1].role == message.role:
            merged[-1] = ChatMessage(role=message.role, content=f"{merged[-1].content}\n\n{message.content}")
        else:
            merged.append(message)
    return [ChatMessage(role="system", content=system), *merged]

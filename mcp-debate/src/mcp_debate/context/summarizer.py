"""Summaries made through mcp-llm that keep each side's position and key claims.

Long summaries are known to erase key facts, so the result is structured: one line per participant
(from the model when it wrote one, else taken from the participant's own latest words, else carried
from the previous summary), then a narrative. Transcripts too long for one call are folded in
chunks, each on top of the previous summary. The draft records exactly which messages it covers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from mcp_debate.context import prompts
from mcp_debate.context.tokens import estimate_message, estimate_text
from mcp_debate.domain.clock import utc_now
from mcp_debate.domain.models import Debate, Message, SideSummary, Summary
from mcp_debate.llm import CallScope, LLMServiceClient
from mcp_shared.models import ChatMessage, CompletionRequest

SUMMARY_TEMPERATURE = 0.2
EXTRACT_WORDS = 60
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True, slots=True)
class Summarizer:
    """Which model writes the summary, and how much room it has."""

    provider: str
    model: str
    input_budget: int
    """Tokens one summarization prompt may take."""


class SummaryMaker:
    """Makes summary drafts (not stored: the caller stores them)."""

    def __init__(self, llm: LLMServiceClient) -> None:
        self.llm = llm

    async def make(
        self,
        debate: Debate,
        writer: Summarizer,
        previous: Summary | None,
        messages: list[Message],
        max_tokens: int,
        scope: CallScope,
        kind: Literal["context", "debate"] = "context",
        participant: int | None = None,
    ) -> Summary:
        draft = previous
        spent = _Spend()
        for chunk in self._chunks(debate, draft, messages, writer.input_budget, max_tokens):
            draft = await self._fold(debate, writer, draft, chunk, max_tokens, scope, spent)
        if draft is None or not messages:
            raise ValueError("a summary needs at least one message to cover")
        return draft.model_copy(
            update={
                "scope": kind,
                "participant": participant,
                "covers_from_seq": previous.covers_from_seq if previous else messages[0].seq,
                "input_tokens": spent.input_tokens,
                "output_tokens": spent.output_tokens,
                "cost_usd": spent.cost_usd,
                "latency_ms": spent.latency_ms,
            }
        )

    def _chunks(
        self, debate: Debate, previous: Summary | None, messages: list[Message], budget: int, max_tokens: int
    ) -> list[list[Message]]:
        """Messages split so that each prompt (with a summary of up to ``max_tokens``) fits ``budget``."""
        frame = estimate_text(prompts.summary_request(debate, None, [], 0)) + estimate_text(
            prompts.SUMMARY_SYSTEM
        )
        room = max(budget - frame - max_tokens - 16, 64)
        chunks: list[list[Message]] = [[]]
        used = 0
        for message in messages:
            cost = estimate_message(prompts.transcript_line(message))
            if chunks[-1] and used + cost > room:
                chunks.append([])
                used = 0
            chunks[-1].append(_clip(message, room))
            used += min(cost, room)
        return chunks

    async def _fold(
        self,
        debate: Debate,
        writer: Summarizer,
        previous: Summary | None,
        chunk: list[Message],
        max_tokens: int,
        scope: CallScope,
        spent: _Spend,
    ) -> Summary:
        words = max(40, int(max_tokens * 0.6))
        request = CompletionRequest(
            provider=writer.provider,
            model=writer.model,
            messages=[
                ChatMessage(role="system", content=prompts.SUMMARY_SYSTEM),
                ChatMessage(role="user", content=prompts.summary_request(debate, previous, chunk, words)),
            ],
            max_tokens=max_tokens,
            temperature=SUMMARY_TEMPERATURE,
        )
        answer = await self.llm.complete(request, scope)
        spent.add(answer.usage.input_tokens, answer.usage.output_tokens, answer.cost_usd, answer.latency_ms)
        sides, narrative = parse_reply(answer.content, debate, previous, chunk)
        draft = Summary(
            id=0,
            debate_id=debate.id,
            scope="context",
            participant=None,
            covers_from_seq=previous.covers_from_seq if previous else chunk[0].seq,
            covers_to_seq=chunk[-1].seq,
            message_count=(previous.message_count if previous else 0) + len(chunk),
            sides=sides,
            narrative=narrative,
            content="",
            provider=answer.provider,
            model=answer.model,
            created_at=utc_now(),
        )
        return _fit(draft, max_tokens)


class _Spend:
    def __init__(self) -> None:
        self.input_tokens = self.output_tokens = 0
        self.cost_usd = self.latency_ms = 0.0

    def add(self, tokens_in: int, tokens_out: int, cost: float, latency: float) -> None:
        self.input_tokens += tokens_in
        self.output_tokens += tokens_out
        self.cost_usd += cost
        self.latency_ms += latency


def _clip(message: Message, room: float) -> Message:
    """A message too long for any prompt is cut (with a mark) rather than dropped."""
    if estimate_message(prompts.transcript_line(message)) <= room:
        return message
    chars = max(int(room * 3), 200)
    return message.model_copy(update={"content": message.content[:chars] + " […]"})


def parse_reply(
    text: str, debate: Debate, previous: Summary | None, chunk: list[Message]
) -> tuple[list[SideSummary], str]:
    """One side per participant, whatever the model wrote; and the narrative."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    used: set[int] = set()
    carried = {s.participant: s for s in previous.sides} if previous else {}
    sides = []
    for p in debate.participants:
        pattern = re.compile(
            rf"^[\s\-*•]*(?:\*\*)?{re.escape(p.name)}(?:\*\*)?\s*(?:\([^)]*\))?\s*(?:\*\*)?\s*:\s*(?:\*\*)?\s*(.+)$",
            re.IGNORECASE,
        )
        found = next(((i, m) for i, line in enumerate(lines) if (m := pattern.match(line))), None)
        if found is not None:
            used.add(found[0])
            sides.append(
                SideSummary(participant=p.name, stance=p.stance, text=found[1].group(1), source="llm")
            )
            continue
        own = [m for m in chunk if m.kind == "turn" and m.participant == p.position]
        if own:
            sides.append(
                SideSummary(
                    participant=p.name, stance=p.stance, text=_extract(own[-1].content), source="extract"
                )
            )
        elif p.name in carried:
            sides.append(carried[p.name].model_copy(update={"source": "carried"}))
        else:
            sides.append(
                SideSummary(participant=p.name, stance=p.stance, text="has not spoken yet", source="extract")
            )
    rest = [line for i, line in enumerate(lines) if i not in used]
    narrative = " ".join(rest)
    if narrative.lower().startswith("narrative:"):
        narrative = narrative[len("narrative:") :].strip()
    return sides, narrative


def _extract(content: str) -> str:
    """The first sentences of a participant's own words, about ``EXTRACT_WORDS`` long."""
    picked: list[str] = []
    for sentence in _SENTENCE_END.split(content.strip()):
        picked.append(sentence)
        if len(" ".join(picked).split()) >= EXTRACT_WORDS / 2:
            break
    words = " ".join(picked).split()
    return " ".join(words[:EXTRACT_WORDS]) + (" …" if len(words) > EXTRACT_WORDS else "")


def _fit(draft: Summary, max_tokens: int) -> Summary:
    """Render, trimming the narrative (then side lines) until the summary fits its token allowance."""
    limit = int(max_tokens * 1.25)
    rendered = draft.model_copy(update={"content": prompts.render_summary(draft)})
    while estimate_text(rendered.content) > limit and rendered.narrative:
        words = rendered.narrative.split()
        shorter = " ".join(words[: len(words) * 3 // 4]) if len(words) > 4 else ""
        rendered = rendered.model_copy(update={"narrative": shorter})
        rendered = rendered.model_copy(update={"content": prompts.render_summary(rendered)})
    if estimate_text(rendered.content) > limit:
        share = max(8, (limit * 3) // max(1, len(rendered.sides)) // 2)
        sides = [s.model_copy(update={"text": " ".join(s.text.split()[:share])}) for s in rendered.sides]
        rendered = rendered.model_copy(update={"sides": sides})
        rendered = rendered.model_copy(update={"content": prompts.render_summary(rendered)})
    return rendered

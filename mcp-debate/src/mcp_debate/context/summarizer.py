"""Summaries made through mcp-llm that keep each side's position and key claims.

Long summaries are known to erase key facts, so the result is structured: one position per
participant (from the model when it gave one, else taken from the participant's own latest words,
else carried from the previous summary), then a narrative. The model is asked for JSON and its reply
is validated like a verdict: re-asked once with what was wrong, then the positions are taken from the
participants' own words (a deterministic fallback, never an empty summary). The rendered summary
keeps to its token allowance. Transcripts too long for one call are folded in chunks, each on top of
the previous summary; every call (each chunk, each re-ask) is counted. The draft records exactly
which messages it covers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from mcp_debate.context import prompts
from mcp_debate.context.tokens import estimate_message, estimate_text
from mcp_debate.domain.clock import utc_now
from mcp_debate.domain.models import Debate, Message, SideSummary, Summary
from mcp_debate.llm import CallScope, LLMServiceClient
from mcp_shared.models import ChatMessage, CompletionRequest, CompletionResponse

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
                "calls": spent.calls,
                "cache_read_tokens": spent.cache_read_tokens,
                "cache_write_tokens": spent.cache_write_tokens,
                "cache_saving_usd": spent.cache_saving_usd,
            }
        )

    def _chunks(
        self, debate: Debate, previous: Summary | None, messages: list[Message], budget: int, max_tokens: int
    ) -> list[list[Message]]:
        """Messages split so that each prompt fits ``budget`` (the prompt's share: the reply's is apart).

        The first chunk shares the prompt with the previous summary (its real size), every later one
        with the draft made so far (at most ``max_tokens``): one call whenever everything fits.
        """
        frame = estimate_text(prompts.summary_request(debate, None, [], 0)) + estimate_text(
            prompts.SUMMARY_SYSTEM
        )
        carried = estimate_text(previous.content) if previous else 0
        rooms = (max(budget - frame - carried - 16, 64), max(budget - frame - max_tokens - 16, 64))
        chunks: list[list[Message]] = [[]]
        used = 0
        for message in messages:
            room = rooms[len(chunks) > 1]
            cost = estimate_message(prompts.transcript_line(message))
            if chunks[-1] and used + cost > room:
                chunks.append([])
                used = 0
                room = rooms[1]
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
        asked = [
            ChatMessage(role="system", content=prompts.SUMMARY_SYSTEM),
            ChatMessage(role="user", content=prompts.summary_request(debate, previous, chunk, words)),
        ]
        positions: dict[str, str] | None = None
        narrative = ""
        for attempt in range(2):  # asked, then re-asked once with what was wrong
            request = CompletionRequest(
                provider=writer.provider,
                model=writer.model,
                messages=asked,
                max_tokens=max_tokens,
                temperature=SUMMARY_TEMPERATURE,
            )
            answer = await self.llm.complete(request, scope)
            spent.add(answer)
            try:
                positions, narrative = read_summary(answer.content, debate, chunk)
                break
            except SummaryUnreadable as problem:
                if attempt == 0:
                    asked = [
                        *asked,
                        ChatMessage(role="assistant", content=answer.content or "(empty)"),
                        ChatMessage(role="user", content=prompts.summary_reask(str(problem))),
                    ]
        sides = _sides(debate, positions or {}, previous, chunk)
        if positions is None:
            narrative = _plain_narrative(chunk)
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
        self.input_tokens = self.output_tokens = self.calls = 0
        self.cache_read_tokens = self.cache_write_tokens = 0
        self.cost_usd = self.latency_ms = self.cache_saving_usd = 0.0

    def add(self, answer: CompletionResponse) -> None:
        self.calls += 1
        self.input_tokens += answer.usage.input_tokens
        self.output_tokens += answer.usage.output_tokens
        self.cache_read_tokens += answer.usage.cache_read_tokens
        self.cache_write_tokens += answer.usage.cache_write_tokens
        self.cost_usd += answer.cost_usd
        self.cache_saving_usd += answer.cache_saving_usd
        self.latency_ms += answer.latency_ms


def _clip(message: Message, room: float) -> Message:
    """A message too long for any prompt is cut (with a mark) rather than dropped."""
    if estimate_message(prompts.transcript_line(message)) <= room:
        return message
    chars = max(int(room * 3), 200)
    return message.model_copy(update={"content": message.content[:chars] + " […]"})


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
    """Render within ``max_tokens``: the narrative is shortened first, then every side alike, and at the
    last the narrative goes; the allowance is never overrun (a participant's context was planned on it)
    as long as it holds the heading and a few words per side (``MIN_SUMMARY_TOKENS`` does)."""

    def rendered(sides: list[SideSummary], narrative: str) -> Summary:
        shaped = draft.model_copy(update={"sides": sides, "narrative": narrative})
        return shaped.model_copy(update={"content": prompts.render_summary(shaped)})

    current = rendered(draft.sides, draft.narrative)
    while estimate_text(current.content) > max_tokens and len(current.narrative.split()) > 4:
        words = current.narrative.split()
        current = rendered(current.sides, " ".join(words[: len(words) * 3 // 4]) + " …")
    while estimate_text(current.content) > max_tokens and any(_words(s.text) > 3 for s in current.sides):
        sides = [_shortened(s) for s in current.sides]
        current = rendered(sides, current.narrative)
    if estimate_text(current.content) > max_tokens:
        current = rendered(current.sides, "")
    return current


def _words(text: str) -> int:
    return len(text.removesuffix(" …").split())


def _shortened(side: SideSummary) -> SideSummary:
    words = side.text.removesuffix(" …").split()
    if len(words) <= 3:
        return side
    return side.model_copy(update={"text": " ".join(words[: max(3, len(words) * 3 // 4)]) + " …"})


class SummaryUnreadable(ValueError):
    """The summarizer's reply is not the JSON asked for; ``str()`` says why, for the re-ask."""


def read_summary(text: str, debate: Debate, chunk: list[Message]) -> tuple[dict[str, str], str]:
    """Positions by participant name and the narrative, validated: JSON with a position for everyone
    who spoke in ``chunk`` and a narrative of its own."""
    found = _first_object(text)
    positions = found.get("positions")
    narrative = found.get("narrative")
    if not isinstance(positions, dict):
        raise SummaryUnreadable('"positions" must be an object: participant name -> position')
    names = {p.name.casefold(): p.name for p in debate.participants}
    read: dict[str, str] = {}
    for key, value in positions.items():
        name = names.get(str(key).strip().casefold())
        if name is not None and isinstance(value, str) and value.strip():
            read[name] = " ".join(value.split())
    spoke = [p.name for p in debate.participants if any(m.participant == p.position for m in chunk)]
    missing = [name for name in spoke if name not in read]
    if missing:
        raise SummaryUnreadable(f'"positions" lacks {", ".join(missing)}')
    if not isinstance(narrative, str) or not narrative.strip():
        raise SummaryUnreadable('"narrative" must be a non-empty string')
    return read, " ".join(narrative.split())


def _first_object(text: str) -> dict[str, object]:
    decoder = json.JSONDecoder()
    for start in (i for i, ch in enumerate(text) if ch == "{"):
        try:
            found, _ = decoder.raw_decode(text[start:])
        except json.JSONDecodeError:
            continue
        if isinstance(found, dict):
            return found
    raise SummaryUnreadable("the reply holds no JSON object")


def _sides(
    debate: Debate, positions: dict[str, str], previous: Summary | None, chunk: list[Message]
) -> list[SideSummary]:
    """One side per participant: the model's position, else its own latest words, else carried."""
    carried = {s.participant: s for s in previous.sides} if previous else {}
    sides = []
    for p in debate.participants:
        if p.name in positions:
            sides.append(
                SideSummary(participant=p.name, stance=p.stance, text=positions[p.name], source="llm")
            )
            continue
        own = [m for m in chunk if m.kind == "turn" and m.participant == p.position]
        if own:
            text = _extract(own[-1].content)
            sides.append(SideSummary(participant=p.name, stance=p.stance, text=text, source="extract"))
        elif p.name in carried:
            sides.append(carried[p.name].model_copy(update={"source": "carried"}))
        else:
            sides.append(
                SideSummary(participant=p.name, stance=p.stance, text="has not spoken yet", source="extract")
            )
    return sides


def _plain_narrative(chunk: list[Message]) -> str:
    """The fallback narrative: who spoke in the messages covered, stated, not invented."""
    speakers = list(dict.fromkeys(m.speaker for m in chunk))
    return f"Messages #{chunk[0].seq}–#{chunk[-1].seq}: {len(chunk)} messages, by {', '.join(speakers)}."

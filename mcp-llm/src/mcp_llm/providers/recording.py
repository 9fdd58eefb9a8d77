"""Record and replay provider answers, so a run reproduces bit for bit with no network and no keys.

``LLM_RECORD_DIR`` makes every provider adapter write each answer it gives to
``<dir>/answers.jsonl``; ``LLM_REPLAY_DIR`` makes every adapter answer from such a file instead of
its vendor, and fail loudly (a ``replay_miss`` error naming the request) when the file holds no
answer for a request. Entries are keyed by provider, model and the response cache's canonical digest
of the request (:func:`mcp_llm.canonical.request_digest`: the messages and every parameter that
changes the output), without the organization, so any caller replays any recording.

It is a layer around the adapters rather than something each client does: debates call mcp-llm
from mcp-debate, not from the client that started them, so only mcp-llm sees every call. Below the
cache and the retries it leaves the rest of the path as it was: usage and cost are computed from the
recorded tokens exactly as from a vendor's, and a replayed run bills, caches and reports the same.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal

from mcp_llm.canonical import request_digest
from mcp_llm.providers.base import LiveModel, LLMProvider, ProviderRequest, ProviderResponse
from mcp_llm.tokens import TokenCount
from mcp_shared.errors import LLMProviderError
from mcp_shared.models import ChatMessage, StreamChunk, Usage

FILE_NAME = "answers.jsonl"
Mode = Literal["record", "replay"]


class ReplayMissError(LLMProviderError):
    """Replaying, and the recording has no answer for this request: the run is not the recorded one."""


def entry_key(provider: str, model: str, request: ProviderRequest) -> str:
    return f"{provider}/{model}/{request_digest(request.messages, request.params)}"


class Recording:
    """One folder's answers: read whole on replay, appended to (one JSON line per answer) on record."""

    def __init__(self, folder: Path, mode: Mode) -> None:
        self.folder = folder
        self.mode = mode
        self.path = folder / FILE_NAME
        self._answers: dict[str, ProviderResponse] = {}
        self._lock = asyncio.Lock()
        if mode == "replay":
            self._answers = load(self.path)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            if self.path.exists():
                self._answers = load(self.path)  # a resumed run adds to what it recorded before

    def find(self, key: str) -> ProviderResponse | None:
        return self._answers.get(key)

    async def keep(self, key: str, answer: ProviderResponse) -> None:
        if key in self._answers:
            return
        self._answers[key] = answer
        line = json.dumps({"key": key, **answer.model_dump(mode="json")}, sort_keys=True)
        async with self._lock:
            await asyncio.to_thread(_append, self.path, line)


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def load(path: Path) -> dict[str, ProviderResponse]:
    """The answers of a recording file; a missing file is an empty recording (every request a miss)."""
    answers: dict[str, ProviderResponse] = {}
    if not path.exists():
        return answers
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            key = str(entry.pop("key"))
            answers[key] = ProviderResponse.model_validate(entry)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a recorded answer ({exc})") from None
    return answers


class RecordingProvider(LLMProvider):
    """An adapter that records its inner adapter's answers, or replays them instead of calling it."""

    def __init__(self, inner: LLMProvider, recording: Recording) -> None:
        super().__init__(inner.config)
        self.inner = inner
        self.recording = recording

    def _replayed(self, request: ProviderRequest) -> tuple[str, ProviderResponse | None]:
        key = entry_key(self.key, request.model, request)
        if self.recording.mode != "replay":
            return key, None
        found = self.recording.find(key)
        if found is None:
            raise ReplayMissError(
                f"replay miss: {self.recording.path} has no answer for {key}; "
                "the run differs from the recorded one (record it again with --record)",
                provider=self.key,
                model=request.model,
            )
        return key, found

    async def complete(self, request: ProviderRequest) -> ProviderResponse:
        key, found = self._replayed(request)
        if found is not None:
            return found
        answer = await self.inner.complete(request)
        await self.recording.keep(key, answer)
        return answer

    async def stream(self, request: ProviderRequest) -> AsyncIterator[StreamChunk]:
        key, found = self._replayed(request)
        if found is not None:
            yield StreamChunk(content=found.content, finish_reason=found.finish_reason, usage=found.usage)
            return
        parts: list[str] = []
        async for chunk in self.inner.stream(request):
            parts.append(chunk.content)
            if chunk.finish_reason is not None:
                answer = ProviderResponse(
                    content="".join(parts),
                    finish_reason=chunk.finish_reason,
                    usage=chunk.usage or Usage(),
                    model=request.model,
                )
                await self.recording.keep(key, answer)
            yield chunk

    async def count_tokens(self, model: str, messages: list[ChatMessage]) -> TokenCount | None:
        if self.recording.mode == "replay":
            return None  # the local count: replaying contacts no vendor
        return await self.inner.count_tokens(model, messages)

    async def list_live_models(self) -> list[LiveModel] | None:
        if self.recording.mode == "replay":
            return None
        return await self.inner.list_live_models()

    async def aclose(self) -> None:
        await self.inner.aclose()

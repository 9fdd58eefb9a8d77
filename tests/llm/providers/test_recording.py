"""LLM_RECORD_DIR / LLM_REPLAY_DIR: every adapter's answers written down, then served back, misses refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcp_llm.providers.base import ProviderRequest
from mcp_llm.providers.recording import ReplayMissError
from mcp_llm.providers.registry import ProviderRegistry
from mcp_llm.settings import LLMSettings
from mcp_shared.models import ChatMessage, GenerationParams


def registry(**env: object) -> ProviderRegistry:
    return ProviderRegistry(LLMSettings(_env_file=None, **env))  # type: ignore[arg-type]


def request(question: str, temperature: float = 0.7) -> ProviderRequest:
    return ProviderRequest(
        model="mock-math-60",
        messages=(
            ChatMessage(role="system", content="You are Ada."),
            ChatMessage(role="user", content=question),
        ),
        params=GenerationParams(temperature=temperature),
    )


async def test_recorded_answers_replay_and_anything_else_is_a_miss(tmp_path: Path) -> None:
    recorder = registry(llm_record_dir=tmp_path).get("mock")
    first = await recorder.complete(request("What is 2+3*4?"))
    chunks = [c async for c in recorder.stream(request("What is 7-1?"))]
    lines = (tmp_path / "answers.jsonl").read_text().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0])["key"].startswith("mock/mock-math-60/")

    player = registry(llm_replay_dir=tmp_path).get("mock")
    assert await player.complete(request("What is 2+3*4?")) == first
    replayed = [c async for c in player.stream(request("What is 7-1?"))]
    assert "".join(c.content for c in replayed) == "".join(c.content for c in chunks)
    assert replayed[-1].finish_reason == chunks[-1].finish_reason
    with pytest.raises(ReplayMissError, match="replay miss"):
        await player.complete(request("What is 2+3*4?", temperature=0.2))  # a parameter differs: a miss
    with pytest.raises(ReplayMissError):
        [c async for c in player.stream(request("What is 9*9?"))]


def test_a_broken_recording_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "answers.jsonl").write_text('{"key": "mock/x/1", "content": "a"}\n')
    with pytest.raises(ValueError, match=r"answers\.jsonl:1"):
        registry(llm_replay_dir=tmp_path)

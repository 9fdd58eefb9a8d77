"""Automatic prompt caching at the adapters: where the markers go, that the text is unchanged, and that
Anthropic (the fake, through the official SDK) bills a repeated prefix as cache reads."""

from __future__ import annotations

import uuid

import pytest
from pydantic import SecretStr

from mcp_llm.providers.anthropic_messages import AnthropicProvider, chat_arguments
from mcp_llm.providers.base import ProviderConfig, ProviderProfile, ProviderRequest
from mcp_llm.providers.openai_wire import OpenAIChatProvider
from mcp_llm.providers.prompt_cache import (
    MAX_BREAKPOINTS,
    anthropic_cached_arguments,
    minimum_tokens,
    openai_cache_key,
)
from mcp_shared.models import ChatMessage, GenerationParams
from tests.conftest import TEST_OPENAI_KEY
from tests.fakes.anthropic_cache import tokens
from tests.fakes.fixtures import TEST_ANTHROPIC_KEY, Fake
from tests.fakes.server import Script

MODEL = "claude-sonnet-4-6"


def long_text(tokens_wanted: int, tag: str) -> str:
    """Unique text of about ``tokens_wanted`` tokens (four characters each)."""
    unit = f"{tag} stable. "
    return (unit * (tokens_wanted * 4 // len(unit) + 1))[: tokens_wanted * 4]


def markers(args: dict) -> list[str]:
    found = [b["text"][:12] for b in args.get("system", []) if "cache_control" in b]
    for turn in args["messages"]:
        found += [b["text"][:12] for b in turn["content"] if "cache_control" in b]
    return found


def joined(args: dict) -> list[tuple[str, str]]:
    return [(t["role"], "".join(b["text"] for b in t["content"])) for t in args["messages"]]


def test_a_short_prompt_is_sent_unmarked() -> None:
    chat = [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hi")]
    assert anthropic_cached_arguments(chat, MODEL) is None


def test_a_long_system_prompt_and_history_are_marked_and_the_text_is_unchanged() -> None:
    chat = [
        ChatMessage(role="system", content=long_text(1100, "sys")),
        ChatMessage(role="user", content="opening"),
        ChatMessage(role="user", content="Alice: first point"),
        ChatMessage(role="assistant", content="my answer"),
        ChatMessage(role="user", content="Bob: rebuttal"),
        ChatMessage(role="user", content="Round 2: respond."),
    ]
    args = anthropic_cached_arguments(chat, MODEL)
    assert args is not None
    assert markers(args) == ["sys stable. ", "Bob: rebutta", "\n\nRound 2: r"]
    assert len(markers(args)) <= MAX_BREAKPOINTS
    plain = chat_arguments(chat)
    assert joined(args) == [(m["role"], m["content"]) for m in plain["messages"]]
    assert args["system"][0]["text"] == plain["system"]


def test_the_history_is_marked_only_once_long_enough_and_the_minimum_follows_the_model() -> None:
    chat = [ChatMessage(role="user", content=long_text(1500, "a")), ChatMessage(role="user", content="q")]
    assert len(markers(anthropic_cached_arguments(chat, MODEL) or {"messages": []})) == 2
    assert minimum_tokens("claude-opus-4-8") == 4096 and minimum_tokens("claude-haiku-4-5") == 4096
    assert anthropic_cached_arguments(chat, "claude-opus-4-8") is None


def test_the_openai_key_names_the_stable_start_only() -> None:
    system = ChatMessage(role="system", content="You are Alice.")
    first = ChatMessage(role="user", content="The debate has begun.")
    one = openai_cache_key([system, first, ChatMessage(role="user", content="Round 1")])
    two = openai_cache_key([system, first, ChatMessage(role="assistant", content="x"), first])
    assert one == two and one is not None and one.startswith("pc-")
    assert openai_cache_key([ChatMessage(role="system", content="You are Bob."), first, first]) != one
    assert openai_cache_key([ChatMessage(role="user", content="only")]) is None


@pytest.fixture
async def provider(fake_anthropic: Fake, anthropic_script: Script):
    server, _ = fake_anthropic
    adapter = AnthropicProvider(
        ProviderConfig(key="claude", api_key=SecretStr(TEST_ANTHROPIC_KEY), base_url=server.url, timeout=2.0)
    )
    yield adapter
    await adapter.aclose()


def request(messages: list[ChatMessage], prompt_cache: bool = True) -> ProviderRequest:
    return ProviderRequest(MODEL, tuple(messages), GenerationParams(max_tokens=50), prompt_cache=prompt_cache)


@pytest.mark.parametrize("streamed", [False, True], ids=["complete", "stream"])
async def test_a_repeated_prefix_is_billed_as_cache_reads(
    provider: AnthropicProvider, anthropic_script: Script, streamed: bool
) -> None:
    system = ChatMessage(role="system", content=long_text(1200, uuid.uuid4().hex))
    first = [system, ChatMessage(role="user", content="Question one?")]
    answer, follow_up = (
        ChatMessage(role="assistant", content="Answer one."),
        ChatMessage(role="user", content="Two?"),
    )
    second = [*first, answer, follow_up]

    async def usage(messages: list[ChatMessage]):
        if not streamed:
            return (await provider.complete(request(messages))).usage
        chunks = [c async for c in provider.stream(request(messages))]
        assert chunks[-1].usage is not None
        return chunks[-1].usage

    one = await usage(first)
    system_tokens = tokens(system.content)
    assert (one.cache_read_tokens, one.cache_write_tokens) == (0, system_tokens + tokens("Question one?"))
    two = await usage(second)
    assert two.cache_read_tokens == system_tokens + tokens("Question one?")
    assert two.input_tokens == sum(tokens(m.content) for m in second)  # reads count as input
    sent = anthropic_script.last("/v1/messages").body
    assert sent["system"][0]["cache_control"] == {"type": "ephemeral"}


async def test_opting_out_sends_no_markers(provider: AnthropicProvider, anthropic_script: Script) -> None:
    system = ChatMessage(role="system", content=long_text(1200, uuid.uuid4().hex))
    for _ in range(2):
        answer = await provider.complete(request([system, ChatMessage(role="user", content="Hi")], False))
        assert answer.usage.cache_read_tokens == 0
    sent = anthropic_script.last("/v1/messages").body
    assert isinstance(sent["system"], str) and "cache_control" not in str(sent)


@pytest.mark.parametrize(("profiled", "wanted"), [(True, True), (True, False), (False, True)])
async def test_openai_gets_a_prompt_cache_key_only_where_it_is_taken(
    fake_openai, openai_script: Script, profiled: bool, wanted: bool
) -> None:
    server, _ = fake_openai
    adapter = OpenAIChatProvider(
        ProviderConfig(
            key="openai",
            api_key=SecretStr(TEST_OPENAI_KEY),
            base_url=f"{server.url}/v1",
            timeout=2.0,
            profile=ProviderProfile(prompt_cache_key=profiled),
        )
    )
    chat = (ChatMessage(role="system", content="You are Alice."), ChatMessage(role="user", content="Hi"))
    try:
        await adapter.complete(ProviderRequest("gpt-5-mini", chat, GenerationParams(), prompt_cache=wanted))
    finally:
        await adapter.aclose()
    sent = openai_script.last("/chat/completions").body
    expected = openai_cache_key(chat) if profiled and wanted else None
    assert sent.get("prompt_cache_key") == expected
    assert (expected is not None) == (profiled and wanted)

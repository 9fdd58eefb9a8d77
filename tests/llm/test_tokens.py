"""Offline token counting: bundled tiktoken encodings, exact for OpenAI models, labelled estimates else."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mcp_llm.tokens import TokenCounter
from mcp_llm.tokens.counter import ENCODINGS_DIR, openai_encoding_name
from mcp_shared.models import ChatMessage

COUNTER = TokenCounter()


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-5-mini", "o200k_base"),
        ("gpt-6-sol", "o200k_base"),
        ("gpt-4.1", "o200k_base"),
        ("gpt-4o", "o200k_base"),
        ("o3", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
    ],
)
def test_openai_models_get_their_encoding(model: str, encoding: str) -> None:
    assert openai_encoding_name(model) == encoding
    count = COUNTER.count_text("openai", model, "hello world")
    assert (count.tokens, count.method, count.encoding) == (2, "exact", encoding)


def test_message_framing_is_counted() -> None:
    messages = [
        ChatMessage(role="system", content="hello world"),
        ChatMessage(role="user", content="hello world"),
    ]
    counted = COUNTER.count_messages("openai", "gpt-5-mini", messages)
    # 3 per message + role (1) + content (2), twice, plus 3 to prime the reply
    assert counted.tokens == 2 * (3 + 1 + 2) + 3
    assert counted.method == "exact"


def test_other_vendors_are_estimated_and_say_so() -> None:
    counted = COUNTER.count_text("claude", "claude-sonnet-5", "hello world")
    assert counted.method == "estimate"
    assert counted.tokens > 0


def test_counting_needs_no_network() -> None:
    """A fresh interpreter with no proxy and no cache beyond the bundled files still counts exactly."""
    code = (
        "from mcp_llm.tokens import TokenCounter;"
        "c = TokenCounter().count_text('openai', 'gpt-5-mini', 'hello world'); print(c.tokens, c.method)"
    )
    env = {k: v for k, v in os.environ.items() if k != "TIKTOKEN_CACHE_DIR"}
    env.update(HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2", "exact"]
    assert (ENCODINGS_DIR / "fb374d419588a4632f3f557e76b4b70aebbca790").exists()

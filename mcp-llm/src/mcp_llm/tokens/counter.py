"""Token counting that works offline: tiktoken with bundled encodings, else a labelled estimate."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from mcp_shared.models import ChatMessage

ENCODINGS_DIR = Path(__file__).parent / "encodings"
os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(ENCODINGS_DIR))

import tiktoken  # noqa: E402  (must see TIKTOKEN_CACHE_DIR first)

logger = logging.getLogger(__name__)

CountMethod = Literal["exact", "provider_api", "estimate"]

# Providers whose models use OpenAI's own tokenizers.
OPENAI_TOKENIZER_PROVIDERS = frozenset({"openai"})
# OpenAI models newer than tiktoken's own table; all of them use o200k_base.
_O200K_PREFIXES = ("gpt-4.1", "gpt-4.5", "gpt-4o", "o1", "o3", "o4", "chatgpt-4o", "gpt-oss")
_O200K_GENERATIONS = re.compile(r"^gpt-([5-9]|\d{2,})")
# OpenAI chat framing: each message costs 3 tokens, and the reply is primed with 3 more.
TOKENS_PER_MESSAGE = 3
TOKENS_REPLY_PRIMING = 3
ESTIMATE_ENCODING = "o200k_base"


@dataclass(frozen=True, slots=True)
class TokenCount:
    """How many tokens, and how sure we are: exact, counted by the vendor, or estimated."""

    tokens: int
    method: CountMethod
    encoding: str | None = None


@lru_cache(maxsize=8)
def _encoding(name: str) -> tiktoken.Encoding | None:
    try:
        return tiktoken.get_encoding(name)
    except Exception as exc:  # no bundled file and no network: fall back to a character estimate
        logger.warning("tiktoken encoding %s unavailable (%s); token counts will be estimates", name, exc)
        return None


@lru_cache(maxsize=256)
def openai_encoding_name(model: str) -> str | None:
    """The tiktoken encoding an OpenAI model uses, or None for a model we cannot place."""
    try:
        return tiktoken.encoding_name_for_model(model)
    except KeyError:
        pass
    if model.startswith(_O200K_PREFIXES) or _O200K_GENERATIONS.match(model):
        return "o200k_base"
    if model.startswith(("gpt-4", "gpt-3.5", "text-embedding")):
        return "cl100k_base"
    return None


def _count_with(encoding: tiktoken.Encoding | None, text: str) -> int:
    if encoding is None:
        return max(len(text.split()), (len(text) + 3) // 4) if text else 0
    return len(encoding.encode(text, disallowed_special=()))


class TokenCounter:
    """Counts tokens of text or chat messages for a provider and model."""

    def count_text(self, provider: str, model: str, text: str) -> TokenCount:
        encoding_name, exact = self._choose(provider, model)
        encoding = _encoding(encoding_name)
        method: CountMethod = "exact" if exact and encoding is not None else "estimate"
        return TokenCount(_count_with(encoding, text), method, encoding_name if encoding else None)

    def count_messages(self, provider: str, model: str, messages: list[ChatMessage]) -> TokenCount:
        """Tokens of a chat prompt including the per-message framing OpenAI documents."""
        encoding_name, exact = self._choose(provider, model)
        encoding = _encoding(encoding_name)
        total = TOKENS_REPLY_PRIMING + sum(
            TOKENS_PER_MESSAGE + _count_with(encoding, m.role) + _count_with(encoding, m.content)
            for m in messages
        )
        method: CountMethod = "exact" if exact and encoding is not None else "estimate"
        return TokenCount(total, method, encoding_name if encoding else None)

    @staticmethod
    def _choose(provider: str, model: str) -> tuple[str, bool]:
        """(encoding name, whether the count is exact for this model)."""
        if provider in OPENAI_TOKENIZER_PROVIDERS:
            name = openai_encoding_name(model)
            if name is not None:
                return name, True
        return ESTIMATE_ENCODING, False

"""Offline token counting (tiktoken with bundled encodings) for estimate_tokens and budgeting."""

from mcp_llm.tokens.counter import CountMethod, TokenCount, TokenCounter

__all__ = ["CountMethod", "TokenCount", "TokenCounter"]

"""The link to mcp-llm: every LLM call of the debate service goes through :class:`LLMServiceClient`."""

from mcp_debate.llm.client import CallScope, LLMServiceClient, TokenCount

__all__ = ["CallScope", "LLMServiceClient", "TokenCount"]

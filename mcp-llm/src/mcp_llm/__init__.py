"""mcp-llm: one MCP interface to many LLM providers."""

__version__ = "0.1.0"

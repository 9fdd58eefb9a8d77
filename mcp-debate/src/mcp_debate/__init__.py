"""mcp-debate: debates between LLM participants, orchestrated through mcp-llm over MCP."""

__version__ = "0.1.0"

"""Code shared by mcp-llm and mcp-debate."""

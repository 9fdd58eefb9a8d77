"""The web page of mcp-debate (list, start form, live view, sign-in) and the same live view as an MCP App."""

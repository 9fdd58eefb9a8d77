"""Following debates as they unfold, over the hub (:mod:`mcp_debate.hub`): event streams for the web page,
MCP resource subscriptions, ``watch_debate`` for the MCP App, and the rows the page lists."""

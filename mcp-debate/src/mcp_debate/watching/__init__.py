"""Watching debates as they unfold: committed changes and streamed text fanned out to whoever follows
them (the web page's event streams, MCP resource subscribers), in this process."""

from mcp_debate.watching.hub import Chunk, DebateHub, HubEvent, Watch

__all__ = ["Chunk", "DebateHub", "HubEvent", "Watch"]

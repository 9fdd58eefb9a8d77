"""mcp-llm speaking the OpenAI API (``/v1/chat/completions``, ``/v1/models``), so any OpenAI client can use
the gateway (its cache, retries, fallbacks) unchanged: models are addressed as ``provider/model``."""

from mcp_llm.openai_compat.routes import openai_routes

__all__ = ["openai_routes"]

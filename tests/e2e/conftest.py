"""A running mcp-llm with every vendor pointed at its fake, for the end-to-end provider tests."""

from tests.fakes.fixtures import (  # noqa: F401  (fixtures are found by name)
    anthropic_script,
    dashscope_script,
    fake_anthropic,
    fake_dashscope,
    fake_gemini,
    fake_ollama,
    fake_xai,
    gemini_script,
    ollama_script,
    vendors_server,
    xai_script,
)

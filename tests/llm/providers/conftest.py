"""Vendor fakes for the adapter tests (shared with the end-to-end tests through tests.fakes.fixtures)."""

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
    xai_script,
)

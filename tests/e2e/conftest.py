"""A running mcp-llm with every vendor pointed at its fake, for the end-to-end provider tests."""

from tests.fakes.fixtures import *  # noqa: F403  (vendor fakes; pytest finds fixtures by name)

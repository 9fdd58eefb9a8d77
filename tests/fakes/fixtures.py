"""Pytest fixtures for the vendor fakes beyond OpenAI: one server per vendor for the session, a
fresh script per test. Conftest files import what they need from here, so unit and end-to-end
tests share the same fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from tests.conftest import ServiceProcess, llm_process
from tests.fakes.anthropic_api import anthropic_app
from tests.fakes.anthropic_cache import PromptCacheBook
from tests.fakes.gemini_api import gemini_app
from tests.fakes.ollama_api import ollama_app
from tests.fakes.openai_api import openai_app
from tests.fakes.server import FakeServer, Script

Fake = tuple[FakeServer, Script]

# Keys built at runtime, so no key-shaped literal is tracked.
TEST_ANTHROPIC_KEY = "fixture-anthropic-key-" + "fedcba9876543210"
TEST_GOOGLE_KEY = "fixture-google-key-" + "0a1b2c3d4e5f6789"
TEST_XAI_KEY = "fixture-xai-key-" + "9f8e7d6c5b4a3210"
TEST_DASHSCOPE_KEY = "fixture-dashscope-key-" + "13579bdf02468ace"


def _serve(build: Callable[[Script], Starlette]) -> Iterator[Fake]:
    script = Script()
    server = FakeServer(build(script)).start()
    yield server, script
    server.stop()


def _fresh(fake: Fake) -> Iterator[Script]:
    _, script = fake
    script.reset()
    yield script
    script.reset()


def _dashscope_app(script: Script) -> Starlette:
    """DashScope's compatible mode serves the OpenAI wire format under ``/compatible-mode/v1``."""
    return Starlette(
        routes=[Mount("/compatible-mode", app=openai_app(script, models=("qwen-plus", "qwen3-max")))]
    )


ANTHROPIC_PROMPT_CACHE = PromptCacheBook()
"""The session's fake Anthropic prompt cache (tests tell their prefixes apart by unique text)."""


@pytest.fixture(scope="session")
def fake_anthropic() -> Iterator[Fake]:
    yield from _serve(lambda script: anthropic_app(script, ANTHROPIC_PROMPT_CACHE))


@pytest.fixture
def anthropic_script(fake_anthropic: Fake) -> Iterator[Script]:
    yield from _fresh(fake_anthropic)


@pytest.fixture(scope="session")
def fake_gemini() -> Iterator[Fake]:
    yield from _serve(gemini_app)


@pytest.fixture
def gemini_script(fake_gemini: Fake) -> Iterator[Script]:
    yield from _fresh(fake_gemini)


@pytest.fixture(scope="session")
def fake_ollama() -> Iterator[Fake]:
    yield from _serve(ollama_app)


@pytest.fixture
def ollama_script(fake_ollama: Fake) -> Iterator[Script]:
    yield from _fresh(fake_ollama)


@pytest.fixture(scope="session")
def fake_xai() -> Iterator[Fake]:
    yield from _serve(lambda script: openai_app(script, models=("grok-4.3", "grok-4-1-fast-non-reasoning")))


@pytest.fixture
def xai_script(fake_xai: Fake) -> Iterator[Script]:
    yield from _fresh(fake_xai)


@pytest.fixture(scope="session")
def fake_dashscope() -> Iterator[Fake]:
    yield from _serve(_dashscope_app)


@pytest.fixture
def dashscope_script(fake_dashscope: Fake) -> Iterator[Script]:
    yield from _fresh(fake_dashscope)


@pytest.fixture(scope="session")
def vendors_server(
    fake_anthropic: Fake, fake_gemini: Fake, fake_ollama: Fake, fake_xai: Fake, fake_dashscope: Fake
) -> Iterator[ServiceProcess]:
    """mcp-llm configured the way an operator would, each vendor's endpoint being its fake."""
    proc = llm_process(
        ANTHROPIC_API_KEY=TEST_ANTHROPIC_KEY,
        ANTHROPIC_BASE_URL=fake_anthropic[0].url,
        GEMINI_API_KEY=TEST_GOOGLE_KEY,  # the alias of GOOGLE_API_KEY
        GEMINI_BASE_URL=fake_gemini[0].url,
        LLAMA_ENDPOINT=fake_ollama[0].url,  # the alias of OLLAMA_ENDPOINT
        XAI_API_KEY=TEST_XAI_KEY,
        XAI_BASE_URL=f"{fake_xai[0].url}/v1",
        DASHSCOPE_API_KEY=TEST_DASHSCOPE_KEY,
        DASHSCOPE_BASE_URL=f"{fake_dashscope[0].url}/compatible-mode/v1",
    ).start()
    yield proc
    proc.stop()

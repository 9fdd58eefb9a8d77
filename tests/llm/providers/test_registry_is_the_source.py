"""The registry is where a provider's facts live; everything that repeats them is checked against it:
the typed settings, ``.env.example``, the README's providers table, the compose file, the test
environment's cleaning, and the price book's provider ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mcp_llm.pricing import FREE_PROVIDERS, GENAI_PRICES_PROVIDER
from mcp_llm.providers.registry import PROVIDERS, ProviderEntry, ProviderRegistry, _aliases
from mcp_llm.settings import LLMSettings
from tests.conftest import _CLEAN_ENV_PREFIXES

ROOT = Path(__file__).resolve().parents[3]
ENTRIES = pytest.mark.parametrize("entry", PROVIDERS, ids=[e.key for e in PROVIDERS])


def readme_row(key: str) -> str:
    section = (ROOT / "README.md").read_text().split("### Providers", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith(f"| `{key}` |")]
    assert len(rows) == 1, f"the README's providers table has no single row for {key}"
    return rows[0]


@ENTRIES
def test_every_credential_is_a_typed_setting(entry: ProviderEntry) -> None:
    fields = LLMSettings.model_fields
    known = set(fields) | {alias for info in fields.values() for alias in _aliases(info)}
    for env in entry.env_names():
        assert env.lower() in known, f"{entry.key}: {env} is not an LLMSettings field"


@ENTRIES
def test_env_example_readme_and_compose_name_every_credential(entry: ProviderEntry) -> None:
    example = (ROOT / ".env.example").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    row = readme_row(entry.key)
    for env in entry.env_names():
        assert re.search(rf"\b{env}\b", example), f".env.example lacks {env}"
        assert f"{env}: ${{{env}:-}}" in compose, f"docker-compose.yml does not pass {env} to mcp-llm"
        assert f"`{env}`" in row, f"the README row of {entry.key} lacks {env}"
    for alias in entry.aliases:
        assert f"`{alias}`" in row


@ENTRIES
def test_the_test_environment_clears_every_credential(entry: ProviderEntry) -> None:
    for env in entry.env_names():
        assert env.startswith(_CLEAN_ENV_PREFIXES), f"tests would inherit {env} from the shell"


def test_the_readme_table_lists_exactly_the_registered_providers() -> None:
    section = (ROOT / "README.md").read_text().split("### Providers", 1)[1].split("\n\n", 2)[1]
    keys = re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)
    assert keys == [e.key for e in PROVIDERS]


def test_the_price_book_defaults_are_the_registry_s() -> None:
    registry = ProviderRegistry(LLMSettings(_env_file=None))  # type: ignore[call-arg]
    assert registry.pricing_ids() == GENAI_PRICES_PROVIDER
    assert registry.free() == FREE_PROVIDERS

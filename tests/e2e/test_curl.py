"""The design documents' curl examples, verbatim but for host and port, run with real curl."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import ServiceProcess

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def curl(command: str, port: int) -> dict:
    argv = [
        "bash",
        "-c",
        command.replace("localhost:5002", f"localhost:{port}").replace("localhost:5001", f"localhost:{port}"),
    ]
    return json.loads(subprocess.run(argv, capture_output=True, text=True, check=True, timeout=30).stdout)


def test_generate_with_no_content_type(llm_server: ServiceProcess) -> None:
    body = curl(
        """curl -s -X POST http://localhost:5001/tools/generate \\
  -d '{"provider": "mock", "model": "mock-1", "messages": [{"role": "user", "content": "Hello"}]}'""",
        llm_server.port,
    )
    assert body["provider"] == "mock" and body["content"]


def test_openai_example_verbatim_against_the_fake_vendor(llm_server: ServiceProcess) -> None:
    body = curl(
        """curl -X POST http://localhost:5002/tools/generate \\
  -d '{"provider": "openai", "model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Hello"}]}'""",  # noqa: E501
        llm_server.port,
    )
    assert (body["provider"], body["model"]) == ("openai", "gpt-3.5-turbo")
    assert body["content"] == "Hello from the fake OpenAI API."


def test_list_models(llm_server: ServiceProcess) -> None:
    body = curl("curl http://localhost:5002/tools/list_models", llm_server.port)
    assert {p["provider"] for p in body["providers"]} >= {"openai", "mock"}

"""/mcp is built on its first request: the first sessions of a freshly started server work, together too."""

from __future__ import annotations

import anyio
import httpx
from mcp import Client

from tests.conftest import llm_process

USER = [{"role": "user", "content": "first use"}]


async def test_first_mcp_sessions_on_a_fresh_server_work_concurrently() -> None:
    service = llm_process().start()
    try:
        # Plain routes answer before anything has touched /mcp.
        async with httpx.AsyncClient() as http:
            plain = await http.post(
                f"{service.url}/tools/complete", json={"provider": "mock", "messages": USER}, timeout=30
            )
        assert plain.status_code == 200
        answers: list[str] = []

        async def one(mode: str) -> None:
            async with Client(service.mcp_url, mode=mode) as client:
                result = await client.call_tool("complete", {"provider": "mock", "messages": USER})
                assert not result.is_error
                answers.append(result.structured_content["content"])

        async with anyio.create_task_group() as group:
            for mode in ("auto", "legacy", "auto", "legacy"):
                group.start_soon(one, mode)
        assert len(answers) == 4 and all(answers)
        # And again, on the endpoint that is now built.
        await one("auto")
        assert len(answers) == 5
    finally:
        service.stop()
    assert "Traceback" not in service.log_text()


async def test_a_server_stopped_before_any_mcp_request_stops_cleanly() -> None:
    service = llm_process().start()
    process = service.process
    assert process is not None
    service.stop()
    assert process.returncode in (0, -15)  # uvicorn re-raises SIGTERM after a clean shutdown
    assert "Traceback" not in service.log_text()

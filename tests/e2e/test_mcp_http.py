"""Every tool and resource through the official mcp Client over streamable HTTP, in both protocol eras."""

from __future__ import annotations

import json
import time

import pytest
from mcp import Client

from tests.conftest import ServiceProcess

USER = [{"role": "user", "content": "Should cities ban cars?"}]
ALL_TOOLS = {
    "complete",
    "generate",
    "stream_complete",
    "stream_generate",
    "list_models",
    "estimate_tokens",
    "invalidate_cache",
}


@pytest.fixture(params=["auto", "legacy"])
def connect(request: pytest.FixtureRequest, llm_server: ServiceProcess):
    """Opens a Client inside the test's own task (anyio scopes cannot cross fixture tasks)."""
    return lambda: Client(llm_server.mcp_url, mode=request.param)


async def test_lists_every_tool_with_flat_arguments(connect) -> None:
    async with connect() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) >= ALL_TOOLS
        complete_schema = tools["complete"].input_schema
        assert {
            "provider",
            "model",
            "messages",
            "max_tokens",
            "temperature",
            "top_p",
            "stop",
            "stream",
            "organization_id",
            "conversation_id",
            "fallbacks",
            "cache",
        } <= set(complete_schema["properties"])
        assert complete_schema["required"] == ["messages"]
        assert tools["generate"].input_schema == complete_schema
        assert tools["complete"].output_schema is not None


async def test_complete_returns_the_contract_result(connect) -> None:
    async with connect() as client:
        result = await client.call_tool("complete", {"provider": "mock", "messages": USER, "max_tokens": 200})
        assert not result.is_error
        body = result.structured_content
        assert body["provider"] == "mock" and body["model"] == "mock-1"
        assert body["finish_reason"] == "stop" and body["content"]
        assert set(body["usage"]) >= {"input_tokens", "output_tokens", "total_tokens"}
        assert body["cost_usd"] == 0.0 and body["request_id"].startswith("req_")
        assert json.loads(result.content[0].text) == body


async def test_generate_alias_answers_like_complete(connect) -> None:
    async with connect() as client:
        args = {"model": "mock-1", "messages": USER, "cache": False}
        a = await client.call_tool("generate", args)
        b = await client.call_tool("complete", args)
        assert a.structured_content["content"] == b.structured_content["content"]


async def test_stream_chunks_arrive_as_progress_before_the_result(connect) -> None:
    async with connect() as client:
        received: list[tuple[float, str]] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            received.append((time.monotonic(), message or ""))

        result = await client.call_tool(
            "stream_complete",
            {"provider": "mock", "model": "mock-slow-20", "messages": USER, "cache": False},
            progress_callback=on_progress,
        )
        finished = time.monotonic()
        assert not result.is_error
        assert len(received) >= 3
        assert "".join(text for _, text in received) == result.structured_content["content"]
        assert all(at <= finished for at, _ in received)


async def test_stream_generate_alias_and_complete_with_stream_flag_stream_too(connect) -> None:
    async with connect() as client:
        for name, extra in (("stream_generate", {}), ("complete", {"stream": True})):
            chunks: list[str] = []

            async def on_progress(
                progress: float, total: float | None, message: str | None, chunks: list[str] = chunks
            ) -> None:
                chunks.append(message or "")

            result = await client.call_tool(
                name,
                {"provider": "mock", "messages": USER, "cache": False, **extra},
                progress_callback=on_progress,
            )
            assert "".join(chunks) == result.structured_content["content"]


async def test_cut_stream_is_a_tool_error_after_its_chunks(connect) -> None:
    async with connect() as client:
        chunks: list[str] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            chunks.append(message or "")

        result = await client.call_tool(
            "stream_complete",
            {"provider": "mock", "model": "mock-stream-cut", "messages": USER},
            progress_callback=on_progress,
        )
        assert result.is_error
        assert json.loads(result.content[0].text)["error"]["type"] == "provider_unavailable"
        assert len(chunks) == 2


async def test_list_models_and_estimate_tokens(connect) -> None:
    async with connect() as client:
        listing = (await client.call_tool("list_models", {})).structured_content
        providers = {p["provider"]: p for p in listing["providers"]}
        assert providers["mock"]["configured"] and providers["openai"]["configured"]
        assert not providers["grok"]["configured"]
        gpt = next(m for m in listing["models"] if m["id"] == "gpt-5-mini")
        assert gpt["context_window"] and gpt["prices"]["input_per_mtok"] > 0
        estimate = await client.call_tool("estimate_tokens", {"model": "gpt-5-mini", "text": "hello world"})
        assert estimate.structured_content == {
            "tokens": 2,
            "method": "exact",
            "provider": "openai",
            "model": "gpt-5-mini",
            "encoding": "o200k_base",
        }


async def test_structured_error_for_bad_arguments(connect) -> None:
    async with connect() as client:
        result = await client.call_tool(
            "complete", {"provider": "mock", "messages": [{"role": "robot", "content": "x"}]}
        )
        assert result.is_error
        error = json.loads(result.content[0].text)["error"]
        assert error["type"] == "invalid_request" and error["field"] == "messages[0].role"
        unknown = await client.call_tool("no_such_tool", {})
        assert unknown.is_error and json.loads(unknown.content[0].text)["error"]["type"] == "invalid_request"


async def test_resources(connect) -> None:
    async with connect() as client:
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
        assert "llm://providers" in listed
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert {"llm://providers/{provider}/models", "llm://conversations/{conversation_id}"} <= templates

        providers = json.loads((await client.read_resource("llm://providers")).contents[0].text)["providers"]
        assert {p["key"] for p in providers} >= {"openai", "mock", "grok", "qwen", "openai_compatible"}
        models = json.loads((await client.read_resource("llm://providers/mock/models")).contents[0].text)
        assert {m["id"] for m in models["models"]} >= {"mock-1", "mock-small"}

        conversation_id = f"conv-{time.time_ns()}"
        for question in ("first", "second"):
            await client.call_tool(
                "complete",
                {
                    "provider": "mock",
                    "conversation_id": conversation_id,
                    "messages": [{"role": "user", "content": question}],
                },
            )
        conversation = json.loads(
            (await client.read_resource(f"llm://conversations/{conversation_id}")).contents[0].text
        )
        assert [e["messages"][-1]["content"] for e in conversation["exchanges"]] == ["first", "second"]

"""An experiment's whole loop through the official mcp Client: join, rate the answer, read the report."""

from __future__ import annotations

from mcp import Client

from tests.conftest import ServiceProcess

USER = [{"role": "user", "content": "Name a colour."}]


async def test_join_rate_and_report_over_mcp(llm_experiments: ServiceProcess) -> None:
    async with Client(llm_experiments.mcp_url) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert {
            "experiments",
            "record_feedback",
            "experiment_report",
            "freeze_experiment",
            "quality_report",
        } <= tools
        before = (await client.call_tool("experiment_report", {"experiment": "split"})).structured_content
        answer = await client.call_tool(
            "complete", {"model": "experiment/split", "episode_id": "mcp-1", "messages": USER}
        )
        assert not answer.is_error
        variant = answer.structured_content["variant"]
        rated = await client.call_tool(
            "record_feedback",
            {"request_id": answer.structured_content["request_id"], "metric": "rating", "value": 5},
        )
        assert not rated.is_error and rated.structured_content["recorded_for"][0]["variant"] == variant
        unknown = await client.call_tool(
            "record_feedback", {"episode_id": "mcp-1", "metric": "vibes", "value": True}
        )
        assert unknown.is_error
        after = (await client.call_tool("experiment_report", {"experiment": "split"})).structured_content
    requests = {v["variant"]: v["requests"] for v in after["variants"]}
    earlier = {v["variant"]: v["requests"] for v in before["variants"]}
    assert requests[variant] == earlier[variant] + 1

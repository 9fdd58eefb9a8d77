"""A debate end to end over MCP (streamable HTTP), between real mcp-debate and mcp-llm processes."""

from __future__ import annotations

import json
from typing import Any

from mcp import Client

from tests.conftest import ServiceProcess
from tests.debate.conftest import call, debate_args, participants, tool_error

TOOLS = {
    "create_debate",
    "add_message",
    "get_next_turn",
    "run_debate",
    "summarize_debate",
    "export_debate",
    "list_debates",
    "get_debate",
    "pause_debate",
    "resume_debate",
    "cancel_debate",
    "deliberate",
    "evaluate",
    "get_evaluation",
    "cancel_evaluation",
}


async def read(client: Client, uri: str) -> Any:
    return json.loads((await client.read_resource(uri)).contents[0].text)


async def test_lists_every_tool_and_resource(debate_server: ServiceProcess) -> None:
    async with Client(debate_server.mcp_url) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == TOOLS
        create = tools["create_debate"].input_schema
        assert {"name", "topic", "participants", "rules", "max_rounds"} <= set(create["properties"])
        assert tools["get_debate"].annotations.read_only_hint
        resources = {r.uri for r in (await client.list_resources()).resources}
        assert "debates://list" in resources
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert templates == {
            "debates://{id}",
            "debates://{id}/messages",
            "debates://{id}/participants",
            "debates://{id}/context",
        }


async def test_three_participants_turn_by_turn_then_to_the_end(debate_server: ServiceProcess) -> None:
    async with Client(debate_server.mcp_url) as client:
        debate = await call(client, "create_debate", debate_args())
        debate_id = debate["id"]
        assert debate["state"] == "created" and debate["total_turns"] == 6
        assert [p["name"] for p in debate["participants"]] == ["Pro", "Con", "Judge"]
        assert debate["next_speaker"] == "Pro"

        first = await call(client, "get_next_turn", {"debate_id": debate_id})
        second = await call(client, "get_next_turn", {"debate_id": debate_id})
        assert [first["message"]["speaker"], second["message"]["speaker"]] == ["Pro", "Con"]
        assert [first["message"]["turn"], second["message"]["turn"]] == [1, 2]
        assert first["state"] == "running" and second["next_speaker"] == "Judge"
        assert not first["joined"]
        for turn in (first, second):
            message = turn["message"]
            assert message["provider"] == "mock" and message["model"] == "mock-1"
            assert message["input_tokens"] > 0 and message["output_tokens"] > 0
            assert message["latency_ms"] > 0 and message["cost_usd"] == 0.0

        progress: list[str] = []

        async def on_progress(progress_value: float, total: float | None, message: str | None) -> None:
            progress.append(message or "")

        run = await call(client, "run_debate", {"debate_id": debate_id}, progress_callback=on_progress)
        assert run["state"] == "completed" and run["stopped"] == "completed" and not run["running"]
        assert [m["speaker"] for m in run["messages"]] == ["Judge", "Pro", "Con", "Judge"]
        assert [m["round"] for m in run["messages"]] == [1, 2, 2, 2]
        assert len(progress) == 4 and progress[0].startswith("Round 1, turn 3 · Judge: ")

        view = await call(client, "get_debate", {"debate_id": debate_id})
        assert view["state"] == "completed" and view["turns_taken"] == 6 and view["next_speaker"] is None
        messages = (await read(client, f"debates://{debate_id}/messages"))["messages"]
        assert [m["turn"] for m in messages] == [1, 2, 3, 4, 5, 6]
        ledger = view["ledger"]
        for line in ledger["participants"]:
            own = [m for m in messages if m["speaker"] == line["name"]]
            assert line["turns"] == 2
            assert line["input_tokens"] == sum(m["input_tokens"] for m in own)
            assert line["output_tokens"] == sum(m["output_tokens"] for m in own)
        assert ledger["total"]["total_tokens"] == sum(
            m["input_tokens"] + m["output_tokens"] for m in messages
        )

        ended = await client.call_tool("get_next_turn", {"debate_id": debate_id})
        assert "is completed" in tool_error(ended)["message"]


async def test_each_participant_sees_its_own_turns_as_assistant_and_others_by_name(
    debate_server: ServiceProcess,
) -> None:
    async with Client(debate_server.mcp_url) as client:
        debate_id = (await call(client, "create_debate", debate_args()))["id"]
        await call(client, "run_debate", {"debate_id": debate_id, "turns": 4})
        await call(client, "add_message", {"debate_id": debate_id, "content": "What about buses?"})
        context = await read(client, f"debates://{debate_id}/context")
        preview = context["next_turn"]
        assert preview["participant"] == "Con"
        sent = preview["messages"]
        assert sent[0]["role"] == "system" and "You are Con" in sent[0]["content"]
        roles = [m["role"] for m in sent[1:]]
        assert roles == ["user", "assistant", "user"]
        assert sent[1]["content"].startswith("Pro: ")
        assert "Judge: " in sent[3]["content"] and "Moderator: What about buses?" in sent[3]["content"]
        assert sent[3]["content"].endswith(
            "Round 2 of 2. You are Con; your stance: against the motion. This is the final round: give your "
            "closing statement."
        )
        last_turns = {p["participant"]: p["last_turn"] for p in context["participants"]}
        assert last_turns["Pro"]["turn"] == 4 and last_turns["Pro"]["message_count"] == 3
        assert last_turns["Pro"]["tokens"] <= last_turns["Pro"]["budget"]


async def test_a_streamed_turn_passes_the_gateways_chunks_on(debate_server: ServiceProcess) -> None:
    async with Client(debate_server.mcp_url) as client:
        # a topic of its own: a turn mcp-llm answers from its cache arrives as a single chunk
        args = debate_args(topic="Should trains replace short-haul flights?")
        debate_id = (await call(client, "create_debate", args))["id"]
        chunks: list[str] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            chunks.append(message or "")

        turn = await call(client, "get_next_turn", {"debate_id": debate_id}, progress_callback=on_progress)
        assert len(chunks) >= 3
        assert "".join(chunks) == turn["message"]["content"]


async def test_windowing_keeps_every_turn_inside_a_small_budget(debate_server: ServiceProcess) -> None:
    args = debate_args(config={"max_tokens": 1200, "max_output_tokens": 120}, max_rounds=6)
    async with Client(debate_server.mcp_url) as client:
        debate_id = (await call(client, "create_debate", args))["id"]
        run = await call(client, "run_debate", {"debate_id": debate_id})
        assert run["state"] == "completed" and len(run["messages"]) == 18
        context = await read(client, f"debates://{debate_id}/context")
        for p in context["participants"]:
            summary = p["summary"]
            assert summary is not None, f"{p['participant']} never needed a summary"
            assert summary["covers_from_seq"] == 1 and summary["covers_to_seq"] >= 3
            assert summary["message_count"] == summary["covers_to_seq"]
            assert {s["participant"] for s in summary["sides"]} == {"Pro", "Con", "Judge"}
            assert p["last_turn"]["summary_id"] is not None
        # contexts near their budget were counted by mcp-llm's tokenizer before they were sent
        assert any(p["last_turn"]["token_method"] == "exact" for p in context["participants"])
        budget = context["participants"][0]["budget"]["input"]
        for message in run["messages"]:
            assert message["input_tokens"] <= budget  # counted by the gateway's tokenizer for the mock
        view = await call(client, "get_debate", {"debate_id": debate_id})
        summary_calls = sum(line["calls"] - line["turns"] for line in view["ledger"]["participants"])
        assert summary_calls >= 3
        assert view["ledger"]["total"]["calls"] == 18 + summary_calls


async def test_summarize_and_export_every_format(debate_server: ServiceProcess) -> None:
    async with Client(debate_server.mcp_url) as client:
        args = debate_args(topic="Do <script>alert(1)</script> tags belong in debates?")
        debate_id = (await call(client, "create_debate", args))["id"]
        await call(client, "run_debate", {"debate_id": debate_id})
        summary = await call(client, "summarize_debate", {"debate_id": debate_id})
        assert summary["scope"] == "debate"
        assert (summary["covers_from_seq"], summary["covers_to_seq"], summary["message_count"]) == (1, 6, 6)
        assert [s["participant"] for s in summary["sides"]] == ["Pro", "Con", "Judge"]
        assert summary["content"].startswith("Summary of the debate so far (messages #1–#6")
        again = await call(client, "summarize_debate", {"debate_id": debate_id})
        assert again["id"] == summary["id"]  # nothing new to fold in: no second call

        exports = {}
        for fmt in ("markdown", "json", "html", "text"):
            exports[fmt] = await call(client, "export_debate", {"debate_id": debate_id, "format": fmt})
            assert exports[fmt]["filename"].startswith(debate_id)
        data = json.loads(exports["json"]["content"])
        assert len(data["messages"]) == 6 and data["summary"]["id"] == summary["id"]
        assert data["debate"]["ledger"]["total"]["calls"] == 7
        assert "<script>" not in exports["html"]["content"]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in exports["html"]["content"]
        for fmt in ("markdown", "text", "html"):
            for needle in ("Pro", "Con", "Judge", "Round 2", "Ledger"):
                assert needle in exports[fmt]["content"], (fmt, needle)


async def test_resources_show_the_debate(debate_server: ServiceProcess) -> None:
    async with Client(debate_server.mcp_url) as client:
        debate_id = (await call(client, "create_debate", debate_args(participants=participants("A", "B"))))[
            "id"
        ]
        listed = await read(client, "debates://list")
        assert debate_id in [d["id"] for d in listed["debates"]]
        one = await read(client, f"debates://{debate_id}")
        assert one["state"] == "created" and one["ledger"]["total"]["turns"] == 0
        people = await read(client, f"debates://{debate_id}/participants")
        assert [p["name"] for p in people["participants"]] == ["A", "B"]
        assert (await read(client, f"debates://{debate_id}/messages"))["messages"] == []


async def test_pause_resume_and_cancel(debate_server: ServiceProcess) -> None:
    async with Client(debate_server.mcp_url) as client:
        debate_id = (await call(client, "create_debate", debate_args(max_rounds=3)))["id"]
        not_yet = await client.call_tool("pause_debate", {"debate_id": debate_id})
        error = tool_error(not_yet)
        assert error["state"] == "created" and "is created" in error["message"]

        await call(client, "get_next_turn", {"debate_id": debate_id})
        paused = await call(client, "pause_debate", {"debate_id": debate_id})
        assert paused["state"] == "paused"
        refused = tool_error(await client.call_tool("get_next_turn", {"debate_id": debate_id}))
        assert refused["state"] == "paused" and "resume it first" in refused["message"]
        assert tool_error(await client.call_tool("run_debate", {"debate_id": debate_id}))["state"] == "paused"

        resumed = await call(client, "resume_debate", {"debate_id": debate_id})
        assert resumed["state"] == "running"
        run = await call(client, "run_debate", {"debate_id": debate_id, "turns": 2})
        assert run["turns_taken"] == 3 and run["stopped"] == "target_reached" and run["state"] == "running"

        cancelled = await call(client, "cancel_debate", {"debate_id": debate_id})
        assert cancelled["state"] == "cancelled"
        for tool in ("get_next_turn", "resume_debate", "cancel_debate", "pause_debate"):
            assert tool_error(await client.call_tool(tool, {"debate_id": debate_id}))["state"] == "cancelled"
        export = await call(client, "export_debate", {"debate_id": debate_id, "format": "text"})
        assert "cancelled" in export["content"]


async def test_a_background_run_can_be_paused_and_resumed_to_the_end(debate_server: ServiceProcess) -> None:
    async with Client(debate_server.mcp_url) as client:
        debate_id = (await call(client, "create_debate", debate_args(model="mock-slow-50", max_rounds=4)))[
            "id"
        ]
        started = await call(client, "run_debate", {"debate_id": debate_id, "wait": False})
        assert started["running"] and started["messages"] == [] and started["stopped"] is None
        paused = await call(client, "pause_debate", {"debate_id": debate_id})
        assert paused["state"] == "paused" and paused["run_target"] == 12
        view = await call(client, "get_debate", {"debate_id": debate_id})
        taken = view["turns_taken"]
        assert taken < 12
        resumed = await call(client, "resume_debate", {"debate_id": debate_id})
        assert resumed["state"] == "running"
        for _ in range(200):
            view = await call(client, "get_debate", {"debate_id": debate_id})
            if view["state"] == "completed":
                break
            import asyncio

            await asyncio.sleep(0.05)
        assert view["state"] == "completed" and view["run_target"] is None and not view["run_active"]
        messages = (await read(client, f"debates://{debate_id}/messages"))["messages"]
        assert [m["turn"] for m in messages] == list(range(1, 13))

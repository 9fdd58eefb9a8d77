"""Following debates without polling: the event streams over HTTP, resource update notifications over MCP
in both protocol eras, and the live view as an MCP App (listed for hosts that negotiate it, plain tools
and results for everyone else)."""

from __future__ import annotations

import asyncio
import json
import warnings
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client import advertise
from mcp.shared.exceptions import MCPError

from tests.conftest import ServiceProcess
from tests.debate.conftest import call, create, post

APP_URI = "ui://mcp-debate/live-view.html"
APP_MIME = "text/html;profile=mcp-app"
APPS = advertise("io.modelcontextprotocol/ui", {"mimeTypes": [APP_MIME]})
SLOW = "mock-slow-200"


def events(server: ServiceProcess, path: str, headers: dict[str, str] | None = None) -> list[tuple[str, Any]]:
    """Every (event, data) of an event stream that ends by itself (the debate finishes)."""
    seen: list[tuple[str, Any]] = []
    with httpx.stream("GET", server.url + path, headers=headers, timeout=30) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                seen.append((event or "", json.loads(line[6:])))
    return seen


# -- event streams ---------------------------------------------------------------------------


def test_a_debate_stream_sends_chunks_then_each_turn_then_the_end(debate_server: ServiceProcess) -> None:
    debate = create(debate_server, names=("Pro", "Con"), model=SLOW)
    started = post(debate_server, "run_debate", {"debate_id": debate["id"], "wait": False})
    assert started.status_code == 200
    seen = events(debate_server, f"/debates/{debate['id']}/events")
    kinds = [k for k, _ in seen]
    assert kinds[0] == "debate" or kinds[0] == "message"
    assert kinds[-1] == "end" and seen[-1][1] == {"state": "completed"}
    messages = [d for k, d in seen if k == "message"]
    assert [m["turn"] for m in messages] == [1, 2, 3, 4]
    # the text of a turn arrives in chunks before the turn commits, and adds up to what was committed
    for message in messages[1:]:  # turn 1 may have started before the stream was opened
        at = seen.index(("message", message))
        chunks = [d["text"] for k, d in seen[:at] if k == "chunk" and d["turn"] == message["turn"]]
        assert chunks, f"turn {message['turn']} arrived without chunks"
        assert "".join(chunks).strip() == message["content"].strip()
        assert all(
            d["speaker"] == message["speaker"]
            for k, d in seen[:at]
            if k == "chunk" and d["turn"] == message["turn"]
        )
    final = [d for k, d in seen if k == "debate"][-1]
    assert final["state"] == "completed" and final["turns_taken"] == 4


def test_a_stream_resumes_after_the_last_message_it_got(debate_server: ServiceProcess) -> None:
    debate = create(debate_server, names=("Pro", "Con"), max_rounds=1)
    assert post(debate_server, "run_debate", {"debate_id": debate["id"]}).status_code == 200
    whole = events(debate_server, f"/debates/{debate['id']}/events")
    assert [d["seq"] for k, d in whole if k == "message"] == [1, 2]
    resumed = events(debate_server, f"/debates/{debate['id']}/events", headers={"Last-Event-ID": "1"})
    assert [d["seq"] for k, d in resumed if k == "message"] == [2]
    later = events(debate_server, f"/debates/{debate['id']}/events?after_seq=2")
    assert [k for k, _ in later] == ["debate", "end"]


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/debates/deb_00000000000000000000/events", 404, "debate_id"),
        ("/debates/not%20an%20id/events", 422, "debate_id"),
        ("/debates/deb_00000000000000000000/events?after_seq=-1", 422, "after_seq"),
    ],
)
def test_bad_streams_are_refused_with_the_field(
    debate_server: ServiceProcess, path: str, status: int, field: str
) -> None:
    response = httpx.get(debate_server.url + path, timeout=10)
    assert response.status_code == status
    assert response.json()["error"]["field"] == field


def test_the_list_stream_sends_a_row_per_change(debate_server: ServiceProcess) -> None:
    rows: list[dict[str, Any]] = []

    def follow() -> None:
        with httpx.stream("GET", debate_server.url + "/debates/events", timeout=30) as response:
            for line in response.iter_lines():
                if line.startswith("data: "):
                    rows.append(json.loads(line[6:]))
                    if rows[-1]["state"] == "completed" and rows[-1]["name"] == "Listed":
                        return

    async def scenario() -> None:
        follower = asyncio.create_task(asyncio.to_thread(follow))
        await asyncio.sleep(0.5)
        debate = await asyncio.to_thread(create, debate_server, name="Listed", names=("A", "B"), max_rounds=1)
        await asyncio.to_thread(post, debate_server, "run_debate", {"debate_id": debate["id"]})
        await asyncio.wait_for(follower, 30)

    asyncio.run(scenario())
    mine = [r for r in rows if r["name"] == "Listed"]
    assert mine[0]["state"] == "created" and mine[-1]["state"] == "completed"
    assert mine[-1]["turns_taken"] == 2 and [p["name"] for p in mine[-1]["participants"]] == ["A", "B"]


# -- MCP resource notifications ---------------------------------------------------------------


async def test_a_handshake_era_subscriber_gets_a_notification_per_committed_turn(
    debate_server: ServiceProcess,
) -> None:
    debate = create(debate_server, names=("Pro", "Con"), model=SLOW)
    uri = f"debates://{debate['id']}/messages"
    updates: list[str] = []

    async def on_message(message: Any) -> None:
        params = getattr(getattr(message, "root", message), "params", None)
        if getattr(params, "uri", None) is not None:
            updates.append(str(params.uri))

    async with Client(debate_server.mcp_url, mode="legacy", message_handler=on_message) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            await client.subscribe_resource(uri)
            await client.subscribe_resource(f"debates://{debate['id']}")
        result = await call(client, "run_debate", {"debate_id": debate["id"]})
        assert result["state"] == "completed"
        for _ in range(50):
            if updates.count(uri) >= 4:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # nothing more comes
    assert updates.count(uri) == 4  # one per committed turn
    assert updates.count(f"debates://{debate['id']}") >= 4  # the debate itself changed with each


async def test_a_2026_era_listener_gets_a_notification_per_committed_turn(
    debate_server: ServiceProcess,
) -> None:
    debate = create(debate_server, names=("Pro", "Con"), model=SLOW)
    uri = f"debates://{debate['id']}/messages"
    client = Client(debate_server.mcp_url)
    async with client, client.listen(resource_subscriptions=[uri, "debates://list"]) as sub:
        assert set(sub.honored.resource_subscriptions or []) == {uri, "debates://list"}
        runner = asyncio.create_task(call(client, "run_debate", {"debate_id": debate["id"]}))
        got: list[str] = []
        async with asyncio.timeout(30):
            async for event in sub:
                got.append(event.uri)
                if got.count(uri) == 4:
                    break
        assert (await runner)["turns_taken"] == 4
    assert got.count(uri) == 4 and "debates://list" in got


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_following_an_unknown_debate_is_refused(debate_server: ServiceProcess, mode: str) -> None:
    missing = "debates://deb_00000000000000000000/messages"
    async with Client(debate_server.mcp_url, mode=mode) as client:
        with pytest.raises(MCPError) as refused:
            if mode == "legacy":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    await client.subscribe_resource(missing)
            else:
                async with client.listen(resource_subscriptions=[missing]):
                    pass
        assert refused.value.error.code == -32002
        assert "deb_00000000000000000000" in refused.value.error.message


# -- MCP App -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_apps_hosts_see_the_live_view_on_the_debate_tools(
    debate_server: ServiceProcess, mode: str
) -> None:
    async with Client(debate_server.mcp_url, mode=mode, extensions=[APPS]) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        for name in ("run_debate", "get_debate", "deliberate"):
            assert tools[name].meta == {"ui": {"resourceUri": APP_URI}}, name
        assert tools["watch_debate"].meta == {"ui": {"resourceUri": APP_URI, "visibility": ["app"]}}
        assert tools["create_debate"].meta is None
        read = await client.read_resource(APP_URI)
        content = read.contents[0]
        assert content.mime_type == APP_MIME
        assert content.text.lower().startswith("<!doctype html>")
        assert "ui/initialize" in content.text and "watch_debate" in content.text
        assert "<script src=" not in content.text  # self-contained: the host's default CSP allows no fetches
        assert content.meta == {"ui": {"prefersBorder": True}}
        listed = {r.uri: r for r in (await client.list_resources()).resources}
        assert listed[APP_URI].mime_type == APP_MIME


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_clients_without_apps_get_plain_tools_and_results(
    debate_server: ServiceProcess, mode: str
) -> None:
    debate = create(debate_server, names=("Pro", "Con"), max_rounds=1)
    async with Client(debate_server.mcp_url, mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert "watch_debate" not in tools
        assert all(t.meta is None or "ui" not in t.meta for t in tools.values())
        result = await client.call_tool("run_debate", {"debate_id": debate["id"]})
        assert not result.is_error
        assert json.loads(result.content[0].text) == result.structured_content
        assert result.structured_content["state"] == "completed"


async def test_watch_debate_waits_for_the_next_change(debate_server: ServiceProcess) -> None:
    debate = create(debate_server, names=("Pro", "Con"), model="mock-slow-400", max_rounds=1)
    async with Client(debate_server.mcp_url, extensions=[APPS]) as client:
        idle = await call(client, "watch_debate", {"debate_id": debate["id"], "wait_seconds": 0.3})
        assert idle["changed"] is False and idle["messages"] == []
        await call(client, "run_debate", {"debate_id": debate["id"], "wait": False})
        seen = 0
        async with asyncio.timeout(30):
            while True:
                got = await call(client, "watch_debate", {"debate_id": debate["id"], "after_seq": seen})
                seen = max([seen, *(m["seq"] for m in got["messages"])])
                if got["debate"]["state"] == "completed":
                    break
        assert seen == 2
        refused = await client.call_tool("watch_debate", {"debate_id": debate["id"], "wait_seconds": 99})
        assert refused.is_error and "wait_seconds" in refused.content[0].text

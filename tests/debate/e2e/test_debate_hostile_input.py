"""Hostile input to mcp-debate: huge integers and made-up identifiers.

Every one is refused with a 422 naming the field (-32602 in a resource URI), never a 500.
"""

from __future__ import annotations

import httpx
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.conftest import ServiceProcess
from tests.debate.conftest import create, debate_args, post

HUGE = 2**63


def assert_refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request" and error["field"] == field


@pytest.mark.parametrize("value", [HUGE, 10**30])
def test_huge_integers_in_the_mirrors_and_tools_are_refused(
    debate_server: ServiceProcess, value: int
) -> None:
    debate_id = create(debate_server)["id"]
    url = debate_server.url
    assert_refused(httpx.get(f"{url}/debates", params={"offset": value}), "offset")
    assert_refused(httpx.get(f"{url}/debates", params={"limit": value}), "limit")
    assert_refused(httpx.get(f"{url}/debates/{debate_id}/messages", params={"after_seq": value}), "after_seq")
    assert_refused(httpx.get(f"{url}/debates/{debate_id}/messages", params={"limit": value}), "limit")
    assert_refused(post(debate_server, "list_debates", {"offset": value}), "offset")
    assert_refused(post(debate_server, "run_debate", {"debate_id": debate_id, "turns": value}), "turns")
    assert_refused(
        post(debate_server, "summarize_debate", {"debate_id": debate_id, "max_tokens": value}), "max_tokens"
    )
    args = debate_args(max_rounds=value)
    assert_refused(post(debate_server, "create_debate", args), "max_rounds")


def test_large_but_sane_positions_are_an_empty_page(debate_server: ServiceProcess) -> None:
    debate_id = create(debate_server)["id"]
    page = httpx.get(f"{debate_server.url}/debates", params={"offset": 1_000_000_000})
    assert page.status_code == 200 and page.json()["debates"] == []
    messages = httpx.get(
        f"{debate_server.url}/debates/{debate_id}/messages", params={"after_seq": 1_000_000_000}
    )
    assert messages.status_code == 200 and messages.json()["messages"] == []


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"model": "mock-1?alt=sse"}, "participants[0].llm_config.model"),
        ({"model": "models/../../files"}, "participants[0].llm_config.model"),
        ({"model": "m" * 201}, "participants[0].llm_config.model"),
        ({"provider": "mock/../x"}, "participants[0].llm_config.provider"),
        ({"provider": "mo ck"}, "participants[0].llm_config.provider"),
    ],
)
def test_participant_models_and_providers_are_identifiers(
    debate_server: ServiceProcess, config: dict, field: str
) -> None:
    args = debate_args()
    args["participants"][0]["llm_config"].update(config)
    assert_refused(post(debate_server, "create_debate", args), field)
    summarizer = debate_args(summarizer={"provider": "mock", "model": "x&y"})
    assert_refused(post(debate_server, "create_debate", summarizer), "summarizer.model")


def test_debate_ids_are_identifiers_everywhere(debate_server: ServiceProcess) -> None:
    for bad in ("deb x", "deb..x", "d" * 65):
        assert_refused(post(debate_server, "get_debate", {"debate_id": bad}), "debate_id")
        assert_refused(post(debate_server, "add_message", {"debate_id": bad, "content": "hi"}), "debate_id")
        assert_refused(post(debate_server, "summarize_debate", {"debate_id": bad, "model": "x"}), "debate_id")
    for path in ("", "/messages", "/participants", "/context", "/export"):
        assert_refused(httpx.get(f"{debate_server.url}/debates/deb..x{path}"), "debate_id")
    debate_id = create(debate_server)["id"]
    bad_model = {"debate_id": debate_id, "provider": "mock", "model": "a b"}
    assert_refused(post(debate_server, "summarize_debate", bad_model), "model")


async def test_resource_uris_with_bad_ids_are_invalid_params(debate_server: ServiceProcess) -> None:
    async with Client(debate_server.mcp_url) as client:
        for uri in ("debates://deb..x", "debates://deb%20x/messages", "debates://" + "d" * 65 + "/context"):
            with pytest.raises(MCPError) as caught:
                await client.read_resource(uri)
            assert caught.value.error.code == -32602, uri
            assert caught.value.error.data["error"]["field"] == "id"
        with pytest.raises(MCPError) as missing:
            await client.read_resource("debates://deb_nope")
        assert missing.value.error.code == -32002


@pytest.mark.parametrize("blank", ["", " ", "\x1f", "\n\t", "\u200b\u00a0"])
def test_text_with_nothing_to_read_is_refused(debate_server: ServiceProcess, blank: str) -> None:
    assert_refused(post(debate_server, "deliberate", {"question": blank}), "question")
    assert_refused(post(debate_server, "create_debate", debate_args(topic=blank)), "topic")
    assert_refused(post(debate_server, "create_debate", debate_args(name=blank)), "name")
    debate_id = create(debate_server)["id"]
    assert_refused(post(debate_server, "add_message", {"debate_id": debate_id, "content": blank}), "content")

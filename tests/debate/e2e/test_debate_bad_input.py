"""Bad input: a structured error naming the field and the problem, the right status, nothing half-written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mcp import Client

from tests.conftest import ServiceProcess
from tests.debate.conftest import create, debate_args, participants, post, tool_error


def count_debates(server: ServiceProcess) -> int:
    return int(httpx.get(f"{server.url}/debates?limit=1").json()["total"])


def with_participant(index: int, **changes: Any) -> dict[str, Any]:
    args = debate_args()
    person = args["participants"][index]
    config = changes.pop("llm_config", {})
    person.update(changes)
    person["llm_config"].update(config)
    return args


CREATE_CASES = [
    ("empty name", with_participant(0, name="   "), 422, "participants[0].name"),
    ("duplicate name", with_participant(2, name="pro"), 422, "participants[2].name"),
    (
        "unknown provider",
        with_participant(1, llm_config={"provider": "skynet"}),
        422,
        "participants[1].llm_config.provider",
    ),
    (
        "provider without credentials",
        with_participant(1, llm_config={"provider": "openai", "model": "gpt-5-mini"}),
        422,
        "participants[1].llm_config.provider",
    ),
    (
        "reply longer than half the budget",
        with_participant(0, llm_config={"max_tokens": 1000, "max_output_tokens": 900}),
        422,
        "participants[0].llm_config.max_output_tokens",
    ),
    (
        "budget below the minimum",
        with_participant(0, llm_config={"max_tokens": 10}),
        422,
        "participants[0].llm_config.max_tokens",
    ),
    ("a single participant", debate_args(participants=participants("Solo")), 422, "participants"),
    ("no topic", debate_args(topic=""), 422, "topic"),
    ("zero rounds", debate_args(max_rounds=0), 422, "max_rounds"),
    ("unknown field", {**debate_args(), "colour": "red"}, 422, "colour"),
    (
        "temperature out of range",
        with_participant(0, llm_config={"temperature": 3}),
        422,
        "participants[0].llm_config.temperature",
    ),
]


@pytest.mark.parametrize(("case", "args", "status", "field"), CREATE_CASES, ids=[c[0] for c in CREATE_CASES])
def test_invalid_debates_are_refused_naming_the_field(
    debate_server: ServiceProcess, case: str, args: dict[str, Any], status: int, field: str
) -> None:
    before = count_debates(debate_server)
    response = post(debate_server, "create_debate", args)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request"
    assert error["field"] == field
    assert field in error["message"]
    assert "Traceback" not in response.text
    assert count_debates(debate_server) == before


def test_every_problem_is_reported_at_once(debate_server: ServiceProcess) -> None:
    args = with_participant(2, name="PRO", llm_config={"provider": "skynet"})
    error = post(debate_server, "create_debate", args).json()["error"]
    assert [p["field"] for p in error["problems"]] == [
        "participants[2].name",
        "participants[2].llm_config.provider",
    ]


@pytest.mark.parametrize(
    ("tool", "extra"),
    [
        ("get_debate", {}),
        ("get_next_turn", {}),
        ("run_debate", {}),
        ("add_message", {"content": "hi"}),
        ("summarize_debate", {}),
        ("export_debate", {"format": "json"}),
        ("pause_debate", {}),
        ("resume_debate", {}),
        ("cancel_debate", {}),
    ],
)
def test_an_unknown_debate_is_a_404_naming_the_id(
    debate_server: ServiceProcess, tool: str, extra: dict
) -> None:
    response = post(debate_server, tool, {"debate_id": "deb_doesnotexist", **extra})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["type"] == "invalid_request" and error["field"] == "debate_id"
    assert "deb_doesnotexist" in error["message"]


@pytest.mark.parametrize("path", ["", "/messages", "/participants", "/context", "/export"])
def test_the_http_mirrors_answer_404_for_an_unknown_debate(debate_server: ServiceProcess, path: str) -> None:
    response = httpx.get(f"{debate_server.url}/debates/deb_nope{path}")
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "debate_id"


async def test_unknown_debate_over_mcp_is_a_tool_error_and_a_resource_error(
    debate_server: ServiceProcess,
) -> None:
    async with Client(debate_server.mcp_url) as client:
        error = tool_error(await client.call_tool("get_debate", {"debate_id": "deb_nope"}))
        assert error["type"] == "invalid_request" and "unknown debate 'deb_nope'" in error["message"]
        with pytest.raises(Exception, match="unknown debate"):
            await client.read_resource("debates://deb_nope/messages")


def test_add_message_to_a_completed_debate_names_the_state(debate_server: ServiceProcess) -> None:
    debate_id = create(debate_server, max_rounds=1)["id"]
    assert post(debate_server, "run_debate", {"debate_id": debate_id}).json()["state"] == "completed"
    response = post(debate_server, "add_message", {"debate_id": debate_id, "content": "Too late?"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["type"] == "invalid_request" and error["state"] == "completed"
    assert "cannot add a message to a debate that is completed" in error["message"]
    messages = httpx.get(f"{debate_server.url}/debates/{debate_id}/messages").json()["messages"]
    assert len(messages) == 3


def test_add_message_may_not_impersonate_a_participant(debate_server: ServiceProcess) -> None:
    debate_id = create(debate_server)["id"]
    response = post(
        debate_server, "add_message", {"debate_id": debate_id, "content": "I concede", "speaker": "con"}
    )
    assert response.status_code == 422 and response.json()["error"]["field"] == "speaker"


@pytest.mark.parametrize("fmt", ["pdf", "", "MARKDOWNX"])
def test_an_unknown_export_format_is_refused_naming_the_field(
    debate_server: ServiceProcess, fmt: str
) -> None:
    debate_id = create(debate_server)["id"]
    response = post(debate_server, "export_debate", {"debate_id": debate_id, "format": fmt})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "format" and "'markdown', 'json', 'html' or 'text'" in error["message"]
    mirrored = httpx.get(f"{debate_server.url}/debates/{debate_id}/export?format={fmt}")
    assert mirrored.status_code == 422 and mirrored.json()["error"]["field"] == "format"


def test_format_aliases_are_accepted(debate_server: ServiceProcess) -> None:
    debate_id = create(debate_server)["id"]
    for alias, fmt in (("md", "markdown"), ("TXT", "text"), ("Html", "html")):
        response = post(debate_server, "export_debate", {"debate_id": debate_id, "format": alias})
        assert response.status_code == 200 and response.json()["format"] == fmt


def test_summarizing_an_empty_debate_is_refused(debate_server: ServiceProcess) -> None:
    debate_id = create(debate_server)["id"]
    response = post(debate_server, "summarize_debate", {"debate_id": debate_id})
    assert response.status_code == 409 and "no messages to summarize" in response.json()["error"]["message"]


def test_malformed_bodies_and_query_parameters(debate_server: ServiceProcess) -> None:
    response = httpx.post(f"{debate_server.url}/tools/create_debate", content=b"{not json")
    assert response.status_code == 400 and response.json()["error"]["field"] == "(body)"
    response = httpx.get(f"{debate_server.url}/debates?limit=0")
    assert response.status_code == 422 and response.json()["error"]["field"] == "limit"
    response = httpx.get(f"{debate_server.url}/debates?state=sleeping")
    assert response.status_code == 422 and response.json()["error"]["field"] == "state"

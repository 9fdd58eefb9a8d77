"""``compress`` on a running mcp-llm: what reaches the vendor, the tokens reported, the summary call's
billing, the response cache key, and bad options refused naming the field (mock and the fake OpenAI API)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from mcp import Client
from openai import BadRequestError, OpenAI

from tests.conftest import ServiceProcess
from tests.fakes import openai_api as wire
from tests.fakes.server import Reply, Script

SYSTEM = "You are   a careful assistant.\n\n\n\nKeep  answers short.  "  # odd whitespace: must stay as is
REPEATED = "The quarterly figures show revenue of 4.2 million and costs of 3.1 million."
LAST_USER = "And  the margin?   "


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def history() -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Here are the numbers.   \n\n\n\n{REPEATED}"},
        {"role": "assistant", "content": "Noted.     I have   the figures."},
        {"role": "user", "content": f"Again, in case:\n\n{REPEATED}"},
        {"role": "user", "content": f"Again, in case:\n\n{REPEATED}"},
        {"role": "assistant", "content": "Understood."},
        {"role": "user", "content": LAST_USER},
    ]


# What the normalisation must send, written out by hand.
NORMALISED = [
    {"role": "system", "content": SYSTEM},
    {"role": "user", "content": f"Here are the numbers.\n\n{REPEATED}"},
    {"role": "assistant", "content": "Noted. I have the figures."},
    {"role": "user", "content": "Again, in case:"},
    {"role": "assistant", "content": "Understood."},
    {"role": "user", "content": LAST_USER},
]


def long_history(turns: int = 12) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": "You are a concise analyst."}]
    for n in range(turns):
        messages.append({"role": "user", "content": f"Question {n}: " + " ".join([f"detail {n}"] * 40)})
        messages.append({"role": "assistant", "content": f"Answer {n}: " + " ".join([f"finding {n}"] * 40)})
    messages.append({"role": "user", "content": "Summing up, what matters most?"})
    return messages


@pytest.fixture
def http(llm_server: ServiceProcess):
    with httpx.Client(base_url=llm_server.url, timeout=30) as client:
        yield client


def tokens(http: httpx.Client, model: str, messages: list[dict[str, str]]) -> int:
    body = http.post("/tools/estimate_tokens", json={"model": model, "messages": messages}).json()
    return body["tokens"]


def test_whitespace_and_duplicates_go_the_system_prompt_and_last_turn_stay(
    http: httpx.Client, openai_script: Script
) -> None:
    body = http.post(
        "/tools/complete",
        json={"model": "gpt-5-mini", "messages": history(), "compress": True, "cache": False},
    ).json()
    sent = openai_script.last("/chat/completions").body["messages"]
    assert sent == NORMALISED  # system prompt and last user turn byte for byte, the rest squeezed
    report = body["compression"]
    assert report["method"] == "normalize" and report["removed_messages"] == 1
    assert report["tokens_before"] == tokens(http, "gpt-5-mini", history())
    assert report["tokens_after"] == tokens(http, "gpt-5-mini", NORMALISED)
    assert report["tokens_after"] < report["tokens_before"]
    assert report["target_met"] and report["target_tokens"] is None


def test_without_compress_the_prompt_goes_as_sent(http: httpx.Client, openai_script: Script) -> None:
    body = http.post(
        "/tools/complete", json={"model": "gpt-5-mini", "messages": history(), "cache": False}
    ).json()
    assert openai_script.last("/chat/completions").body["messages"] == history()
    assert body["compression"] is None


def test_a_target_is_met_by_summarising_the_oldest_turns_billed_to_the_same_organization(
    http: httpx.Client, openai_script: Script
) -> None:
    org = unique("compress")
    messages = long_history()
    summary = "User asked twelve questions on details 0-11; the analyst reported findings 0-11."
    openai_script.push(
        wire.CHAT,
        Reply(
            json=wire.completion_body(summary, model="gpt-5-nano", prompt_tokens=900, completion_tokens=40)
        ),
        Reply(json=wire.completion_body("The findings.", prompt_tokens=300, completion_tokens=5)),
    )
    body = http.post(
        "/tools/complete",
        json={
            "model": "gpt-5-mini",
            "messages": messages,
            "compress": {"target_tokens": 600},
            "organization_id": org,
            "cache": False,
        },
    ).json()
    summary_call, main_call = [r.body for r in openai_script.requests if r.path.endswith("/chat/completions")]
    assert summary_call["model"] == "gpt-5-nano"  # the provider's cheap model
    sent = main_call["messages"]
    assert sent[0] == messages[0] and sent[-1] == messages[-1]
    summaries = [m for m in sent if m["content"].startswith("[Summary of ")]
    assert len(summaries) == 1 and summary in summaries[0]["content"]
    removed = int(summaries[0]["content"].split()[2])
    assert sent[2:-1] == messages[1 + removed : -1]  # the newest turns kept as they were, after the summary
    report = body["compression"]
    assert report["method"] == "summarize" and report["removed_messages"] == removed
    assert report["tokens_before"] == tokens(http, "gpt-5-mini", messages) > 600
    assert report["tokens_after"] == tokens(http, "gpt-5-mini", sent) <= 600
    assert report["target_met"] is True
    # gpt-5-nano at $0.05 in / $0.40 out per million tokens, billed to the caller's organization
    assert report["summary_cost_usd"] == pytest.approx(900 * 0.05e-6 + 40 * 0.4e-6)
    usage = http.post("/tools/usage_report", json={"organization_id": org, "period": "today"}).json()
    assert usage["totals"]["requests"] == 2
    assert usage["totals"]["cost_usd"] == pytest.approx(report["summary_cost_usd"] + body["cost_usd"])


def test_drop_removes_just_enough_of_the_oldest_turns(http: httpx.Client, openai_script: Script) -> None:
    messages = long_history()
    body = http.post(
        "/tools/complete",
        json={
            "model": "gpt-5-mini",
            "messages": messages,
            "compress": {"target_tokens": 700, "oldest_turns": "drop"},
            "cache": False,
        },
    ).json()
    report = body["compression"]
    assert report["method"] == "drop" and report["target_met"]
    kept = [messages[0], *messages[1 + report["removed_messages"] :]]
    assert openai_script.last("/chat/completions").body["messages"] == kept
    assert report["tokens_after"] == tokens(http, "gpt-5-mini", kept) <= 700
    one_more = [messages[0], *messages[report["removed_messages"] :]]
    assert tokens(http, "gpt-5-mini", one_more) > 700  # no turn more was dropped than needed


def test_a_failed_summary_drops_the_oldest_turns_instead(http: httpx.Client, openai_script: Script) -> None:
    openai_script.push(wire.CHAT, wire.unauthorized())
    body = http.post(
        "/tools/complete",
        json={"model": "gpt-5-mini", "messages": long_history(), "compress": {"target_tokens": 600}},
    ).json()
    assert body["compression"]["method"] == "drop" and body["compression"]["target_met"]
    assert body["compression"]["summary_request_id"] is None


def test_an_unreachable_target_is_reported_not_met(http: httpx.Client, openai_script: Script) -> None:
    messages = [
        {"role": "system", "content": "A long brief. " * 200},
        {"role": "user", "content": "old"},
        {"role": "assistant", "content": "older answer"},
        {"role": "user", "content": "Now?"},
    ]
    body = http.post(
        "/tools/complete",
        json={
            "model": "gpt-5-mini",
            "messages": messages,
            "compress": {"target_tokens": 100, "oldest_turns": "drop"},
            "cache": False,
        },
    ).json()
    report = body["compression"]
    assert report["removed_messages"] == 2 and not report["target_met"]
    assert openai_script.last("/chat/completions").body["messages"] == [messages[0], messages[-1]]
    assert report["tokens_after"] == tokens(http, "gpt-5-mini", [messages[0], messages[-1]]) > 100


def test_the_cache_key_is_the_compressed_prompt(http: httpx.Client) -> None:
    org = unique("ckey")
    messages = history()
    ask = {"model": "mock-1", "organization_id": org, "temperature": 0}
    plain = http.post("/tools/complete", json={**ask, "messages": messages}).json()
    compressed = http.post("/tools/complete", json={**ask, "messages": messages, "compress": True}).json()
    assert not plain["cached"] and not compressed["cached"]  # another prompt, another key
    assert compressed["content"] != plain["content"]
    # whitespace the compression removes anyway: the same compressed prompt, so the same entry
    spaced = [dict(m) for m in messages]
    spaced[2]["content"] = "Noted.  I have      the figures.   "
    again = http.post("/tools/complete", json={**ask, "messages": spaced, "compress": True}).json()
    assert again["cached"] and again["content"] == compressed["content"]
    assert again["compression"]["tokens_before"] > compressed["compression"]["tokens_before"]
    # ...which is the same prompt a caller sending it already normalised gets
    direct = http.post("/tools/complete", json={**ask, "messages": NORMALISED}).json()
    assert direct["cached"] and direct["content"] == compressed["content"]
    # a summarised prompt repeats without a second summary bill: both calls are cache hits
    long = {**ask, "messages": long_history(), "compress": {"target_tokens": 600}}
    first = http.post("/tools/complete", json=long).json()
    second = http.post("/tools/complete", json=long).json()
    assert first["compression"]["method"] == "summarize" and second["cached"]
    assert second["compression"]["tokens_after"] == first["compression"]["tokens_after"]


@pytest.mark.parametrize(
    ("compress", "field"),
    [
        ({"target_tokens": 0}, "compress.target_tokens"),
        ({"target_tokens": 10**9}, "compress.target_tokens"),
        ({"target_tokens": "many"}, "compress.target_tokens"),
        ({"oldest_turns": "forget"}, "compress.oldest_turns"),
        ({"ratio": 0.5}, "compress.ratio"),
        ("yes", "compress"),
    ],
)
def test_bad_options_are_refused_naming_the_field(http: httpx.Client, compress: object, field: str) -> None:
    response = http.post(
        "/tools/complete", json={"model": "mock-1", "messages": history(), "compress": compress}
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request" and error["field"] == field, error


def test_v1_takes_compress_as_an_extension_field(llm_server: ServiceProcess) -> None:
    client = OpenAI(base_url=f"{llm_server.url}/v1", api_key="unused", max_retries=0)
    reply = client.chat.completions.create(
        model="mock/mock-echo",
        messages=long_history(),  # type: ignore[arg-type]
        extra_body={"compress": {"target_tokens": 500, "oldest_turns": "drop"}},
    )
    assert reply.choices[0].message.content == "Summing up, what matters most?"
    report = (reply.model_extra or {})["compression"]
    assert report["method"] == "drop" and report["tokens_after"] <= 500 < report["tokens_before"]
    with pytest.raises(BadRequestError) as refused:
        client.chat.completions.create(
            model="mock/mock-1",
            messages=[{"role": "user", "content": "Hi"}],
            extra_body={"compress": {"target_tokens": -3}},
        )
    assert refused.value.param == "compress.target_tokens"


async def test_mcp_complete_reports_the_compression(llm_server: ServiceProcess) -> None:
    async with Client(llm_server.mcp_url) as client:
        result = await client.call_tool(
            "complete", {"model": "mock-1", "messages": history(), "compress": True, "cache": False}
        )
    assert not result.is_error
    assert result.structured_content["compression"]["method"] == "normalize"


def test_compression_lets_a_prompt_fit_a_window_it_overflowed(http: httpx.Client) -> None:
    """The context-window check and the provider see the compressed prompt (mock-small: 512 tokens)."""
    ask = {"model": "mock-small", "messages": long_history(), "cache": False}
    refused = http.post("/tools/complete", json=ask)
    assert refused.status_code == 413 and refused.json()["error"]["type"] == "context_length_exceeded"
    fitted = http.post("/tools/complete", json={**ask, "compress": {"target_tokens": 400}})
    assert fitted.status_code == 200, fitted.text
    report = fitted.json()["compression"]
    assert report["tokens_before"] > 512 and report["tokens_after"] <= 400

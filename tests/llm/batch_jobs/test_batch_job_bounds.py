"""What submit_batch refuses, naming the field, before anything is stored or sent: bounds on items, bytes
and unfinished jobs per organization, one provider and model per job, fields a job cannot honour."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import ServiceProcess
from tests.fakes.batches import OPENAI_BATCHES, Plan
from tests.llm.batch_jobs.conftest import call, wait_for_end

pytestmark = pytest.mark.timeout(300)  # the module starts server processes on a busy machine


def item(item_id: str, model: str = "gpt-5-mini", content: str = "Hi", **extra: object) -> dict:
    return {"id": item_id, "model": model, "messages": [{"role": "user", "content": content}], **extra}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"items": []}, 422, "items"),
        ({"items": [item("a"), item("a")]}, 422, "items"),
        ({"items": [item(f"i{n}") for n in range(6)]}, 422, "items"),  # BATCH_MAX_ITEMS=5
        (
            {"items": [item(f"i{n}", content="x" * 3000) for n in range(5)]},
            413,
            "items[2]",
        ),  # BATCH_MAX_BYTES
        ({"items": [item("a"), item("b", model="gpt-4.1")]}, 422, "items[1].model"),
        ({"items": [item("a"), item("b", model="claude-sonnet-4-6")]}, 422, "items[1].model"),
        ({"items": [item("a", stream=True)]}, 422, "items[0].stream"),
        ({"items": [item("a", conversation_id="c1")]}, 422, "items[0].conversation_id"),
        (
            {"items": [item("a", fallbacks=[{"provider": "mock", "model": "mock-1"}])]},
            422,
            "items[0].fallbacks",
        ),
        ({"items": [item("a", provider="nobody")]}, 422, "items[0].provider"),
        ({"items": [item("a b")]}, 422, "items[0].id"),
        ({"items": [{"id": "a", "model": "gpt-5-mini", "messages": []}]}, 422, "items[0].messages"),
        ({"items": [item("a")], "colour": "red"}, 422, "colour"),
    ],
)
def test_bad_jobs_are_refused_naming_the_field(
    batch_server: ServiceProcess, body: dict, status: int, field: str
) -> None:
    before = len(OPENAI_BATCHES.created_bodies)
    response = call(batch_server, "submit_batch", body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request" and error["field"] == field, error
    assert len(OPENAI_BATCHES.created_bodies) == before  # nothing reached the vendor


def test_an_unconfigured_provider_is_refused_at_submission(batch_server: ServiceProcess) -> None:
    response = call(batch_server, "submit_batch", {"items": [item("a", model="grok-4.3")]})
    assert response.status_code == 401, response.text
    assert response.json()["error"]["type"] == "authentication"


@pytest.mark.parametrize(("job_id", "status"), [("nope", 422), ("bj_" + "0" * 24, 404)])
def test_unknown_or_malformed_job_ids(batch_server: ServiceProcess, job_id: str, status: int) -> None:
    for tool in ("get_batch", "cancel_batch"):
        response = call(batch_server, tool, {"id": job_id})
        assert response.status_code == status, response.text
        assert response.json()["error"]["field"] == "id"


def test_an_organization_has_at_most_its_share_of_unfinished_jobs(batch_server: ServiceProcess) -> None:
    organization = f"org-{uuid.uuid4().hex[:8]}"
    OPENAI_BATCHES.plans.extend([Plan(polls=10_000), Plan(polls=10_000), Plan(polls=1)])
    jobs = []
    for n in range(2):  # BATCH_MAX_JOBS_PER_ORG=2
        response = call(
            batch_server, "submit_batch", {"items": [item(f"a{n}")], "organization_id": organization}
        )
        assert response.status_code == 200, response.text
        jobs.append(response.json()["id"])
    refused = call(batch_server, "submit_batch", {"items": [item("c")], "organization_id": organization})
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["type"] == "quota_exceeded"
    other = call(batch_server, "submit_batch", {"items": [item("c")], "organization_id": organization + "x"})
    assert other.status_code == 200, other.text  # another organization's share is its own

    assert (
        call(batch_server, "cancel_batch", {"id": jobs[0], "organization_id": organization}).status_code
        == 200
    )
    assert wait_for_end(batch_server, jobs[0], organization_id=organization)["state"] == "cancelled"
    again = call(batch_server, "submit_batch", {"items": [item("d")], "organization_id": organization})
    assert again.status_code == 200, again.text
    call(batch_server, "cancel_batch", {"id": jobs[1], "organization_id": organization})

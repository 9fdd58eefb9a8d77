"""Quota is reserved per item: a batch bigger than what an organization has left answers what fits."""

from __future__ import annotations

from collections.abc import Callable

from mcp_llm.service import LLMService
from mcp_llm.settings.governance import QuotaLimits
from tests.llm.governance.conftest import http_call, unique


async def test_items_past_the_quota_fail_alone(make_service: Callable[..., LLMService]) -> None:
    org = unique("batch")
    svc = await make_service(quotas={org: QuotaLimits(requests_per_minute=3)})
    tools = svc.tools
    spec = tools.get("batch_complete")
    items = [
        {
            "id": f"q{n}",
            "model": "mock-1",
            "messages": [{"role": "user", "content": f"q {n}"}],
            "cache": False,
        }
        for n in range(5)
    ]
    args = tools.parse_arguments(spec, {"items": items, "concurrency": 1})
    result = (await tools.run(spec, args, http_call(org))).model_dump()
    assert [r["ok"] for r in result["items"]] == [True, True, True, False, False]
    refused = result["items"][3]["error"]
    assert refused["type"] == "quota_exceeded" and refused["quota"] == "requests_per_minute"
    assert (result["succeeded"], result["failed"]) == (3, 2)

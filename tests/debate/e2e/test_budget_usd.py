"""``budget_usd`` against a priced model: gpt-5-mini at its list price, its API faked at the HTTP layer.

Each call's reply uses its whole reply cap (500 tokens), so a call costs about what it reserves (its
prompt as counted plus its reply cap): the budget, checked before each call against what the ledger says
was spent plus that reservation, lets the calls in that fit and stops the debate before the first that
would not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServiceProcess
from tests.debate.conftest import debate_process, post
from tests.fakes import openai_api as wire
from tests.fakes.server import Reply, Script


@pytest.fixture
def priced_debate(llm_server: ServiceProcess, tmp_path: Path) -> Iterator[ServiceProcess]:
    proc = debate_process(llm_server.url, tmp_path / "d.db", name="mcp-debate-priced").start()
    yield proc
    proc.stop()


def test_budget_usd_stops_the_debate_before_the_call_that_would_exceed_it(
    llm_server: ServiceProcess, priced_debate: ServiceProcess, openai_script: Script
) -> None:
    listing = httpx.get(f"{llm_server.url}/tools/list_models", params={"provider": "openai"}).json()
    prices = next(m["prices"] for m in listing["models"] if m["id"] == "gpt-5-mini")
    per_call = (10 * prices["input_per_mtok"] + 500 * prices["output_per_mtok"]) / 1_000_000
    assert per_call > 0
    for _ in range(6):
        body = wire.completion_body("Reasons.\nFinal answer: 7", prompt_tokens=10, completion_tokens=500)
        openai_script.push(wire.CHAT, Reply(json=body))
    config = {"provider": "openai", "model": "gpt-5-mini", "temperature": 0.9, "max_output_tokens": 500}
    created = post(
        priced_debate,
        "create_debate",
        {
            "name": "Sum",
            "topic": "What is 3+4?",
            "protocol": "vote",
            "participants": [{"name": n, "llm_config": config} for n in ("A", "B", "C")],
            "budget_usd": 2.5 * per_call,  # two calls fit; the third's reservation does not
        },
    )
    assert created.status_code == 200, created.text
    participant = created.json()["participants"][0]
    assert (participant["input_price"], participant["output_price"]) == (
        prices["input_per_mtok"],
        prices["output_per_mtok"],
    )
    run = post(priced_debate, "run_debate", {"debate_id": created.json()["id"]})
    assert run.status_code == 200, run.text
    view = httpx.get(f"{priced_debate.url}/debates/{created.json()['id']}", timeout=10).json()
    assert view["stopped_reason"] == "budget_exhausted" and view["state"] == "completed"
    assert view["turns_taken"] == 2 and view["ledger"]["total"]["calls"] == 2
    assert view["ledger"]["total"]["cost_usd"] == pytest.approx(2 * per_call, rel=1e-6)
    assert view["ledger"]["total"]["cost_usd"] <= 2.5 * per_call
    assert view["verdict"]["answer"] == "7" and "budget" in view["verdict"]["note"]

"""A debate on Claude reads its participants' stable prefixes from the prompt cache from round 2 on.

mcp-debate and mcp-llm run as processes; Anthropic is the fake, which bills marked prefixes the way
Anthropic documents it. Each participant's system prompt is long enough to cache, so every turn after
a participant's first reads at least that prompt; the gateway's ledger counts exactly those reads, and
so does the debate's own ledger, per participant, with the saving priced from the same bills.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import genai_prices
import httpx
import pytest

from tests.conftest import ServiceProcess, debate_process
from tests.fakes.anthropic_cache import tokens
from tests.fakes.fixtures import ANTHROPIC_PROMPT_CACHE
from tests.fakes.server import Script

ROUNDS = 3


@pytest.fixture
def claude_debate(vendors_server: ServiceProcess, tmp_path: Path) -> Iterator[ServiceProcess]:
    proc = debate_process(vendors_server.url, tmp_path / "d.db", name="mcp-debate-claude").start()
    yield proc
    proc.stop()


def cache_reads_in_ledger(server: ServiceProcess) -> int:
    report = httpx.post(f"{server.url}/tools/usage_report", json={"period": "today"}, timeout=10).json()
    return int(report["totals"]["cache_read_tokens"])


def input_cost(bill: dict[str, int], cached: bool) -> float:
    """The bill's input at Claude Sonnet 4.6's rates, with or without its cache reads and writes."""
    read, write = bill["cache_read"], bill["cache_write"]
    usage = genai_prices.Usage(
        input_tokens=bill["input_tokens"] + read + write,
        output_tokens=0,
        cache_read_tokens=read if cached and read else None,
        cache_write_tokens=write if cached and write else None,
    )
    price = genai_prices.calc_price(usage, model_ref="claude-sonnet-4-6", provider_id="anthropic")
    return float(price.total_price)


def test_each_participant_reads_its_prefix_from_round_two_on(
    vendors_server: ServiceProcess, claude_debate: ServiceProcess, anthropic_script: Script
) -> None:
    tags = {name: uuid.uuid4().hex for name in ("Pro", "Con")}
    brief = {name: f"{tag} Argue with evidence from urban studies. " * 120 for name, tag in tags.items()}
    before = cache_reads_in_ledger(vendors_server)
    first_bill = len(ANTHROPIC_PROMPT_CACHE.bills)
    created = httpx.post(
        f"{claude_debate.url}/tools/create_debate",
        json={
            "name": "City cars",
            "topic": "Should cities ban private cars from their centres?",
            "max_rounds": ROUNDS,
            "participants": [
                {
                    "name": name,
                    "stance": stance,
                    "llm_config": {
                        "provider": "claude",
                        "model": "claude-sonnet-4-6",
                        "system_prompt": brief[name],
                    },
                }
                for name, stance in (("Pro", "for the motion"), ("Con", "against the motion"))
            ],
        },
        timeout=30,
    )
    assert created.status_code == 200, created.text
    run = httpx.post(
        f"{claude_debate.url}/tools/run_debate", json={"debate_id": created.json()["id"]}, timeout=120
    )
    assert run.status_code == 200, run.text

    bills = ANTHROPIC_PROMPT_CACHE.bills[first_bill:]
    for name, tag in tags.items():
        mine = [usage for system, usage in bills if tag in system]
        assert len(mine) == ROUNDS, (name, len(mine))
        system_tokens = tokens(next(system for system, _ in bills if tag in system))
        assert mine[0]["cache_read"] == 0 and mine[0]["cache_write"] >= system_tokens
        for round_no, usage in enumerate(mine[1:], start=2):
            assert usage["cache_read"] >= system_tokens, (name, round_no, usage)
    assert cache_reads_in_ledger(vendors_server) - before == sum(u["cache_read"] for _, u in bills)

    # The debate's own ledger: each participant's reads, writes and saving, from the same bills.
    view = httpx.get(f"{claude_debate.url}/debates/{created.json()['id']}", timeout=10).json()
    ledger = {line["name"]: line for line in view["ledger"]["participants"]}
    for name, tag in tags.items():
        mine = [usage for system, usage in bills if tag in system]
        line = ledger[name]
        assert line["cache_read_tokens"] == sum(u["cache_read"] for u in mine) > 0
        assert line["cache_write_tokens"] == sum(u["cache_write"] for u in mine) > 0
        saving = sum(input_cost(u, cached=False) - input_cost(u, cached=True) for u in mine)
        assert line["cache_saving_usd"] == pytest.approx(saving, rel=1e-6, abs=1e-9)
        assert line["cache_saving_usd"] > 0  # reads of rounds 2 and 3 outweigh the round-1 write
    total = view["ledger"]["total"]
    assert total["cache_read_tokens"] == sum(u["cache_read"] for _, u in bills)
    assert total["cache_saving_usd"] == pytest.approx(
        sum(line["cache_saving_usd"] for line in ledger.values()), abs=1e-8
    )

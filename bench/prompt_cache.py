"""What automatic prompt caching saves on a 5-round Claude debate: tokens billed and dollars, side by side.

Starts the fake Anthropic API (``tests/fakes``: it bills marked prefixes as cache writes and reads the
way Anthropic documents it, four characters a token), mcp-llm pointed at it, and mcp-debate. A debate of
two participants (each with a long brief as its system prompt) runs for five rounds with automatic
caching on, as every call gets by default. Then every request the debate made is sent again to the same
mcp-llm with ``prompt_cache: false`` — the same text, so the same answer — which is what the debate would
have been billed without caching. Costs are mcp-llm's own (genai-prices' Claude Sonnet 4.6 rates).

Prints a table and writes ``bench/results/prompt_cache.json``.
Run with ``uv run --frozen python -m bench.prompt_cache``.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx2

from bench.debate_overhead import free_port, service
from tests.fakes.anthropic_api import anthropic_app
from tests.fakes.anthropic_cache import PromptCacheBook
from tests.fakes.server import FakeServer, Script

RESULTS = Path(__file__).parent / "results" / "prompt_cache.json"
MODEL = "claude-sonnet-4-6"
ANSWER = "Dense centres gain space, clean air and safer streets when private cars give way. " * 6
BRIEF = (
    "Argue from evidence: cite studies of low-traffic neighbourhoods, congestion charges and retail. " * 60
)
KINDS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")


def chat_of(body: dict[str, Any]) -> list[dict[str, str]]:
    """The gateway messages of an Anthropic request body (blocks of a turn joined back into its text)."""
    system = body.get("system")
    text = system if isinstance(system, str) else "".join(b["text"] for b in system or [])
    messages = [{"role": "system", "content": text}] if text else []
    for turn in body["messages"]:
        content = turn["content"]
        joined = content if isinstance(content, str) else "".join(b["text"] for b in content)
        messages.append({"role": turn["role"], "content": joined})
    return messages


def run(rounds: int) -> dict[str, Any]:
    script = Script()
    fake = FakeServer(anthropic_app(script, PromptCacheBook(bill_unmarked=True), ANSWER)).start()
    tally = {"cached": dict.fromkeys(KINDS, 0), "uncached": dict.fromkeys(KINDS, 0)}
    dollars = {"cached": 0.0, "uncached": 0.0}
    try:
        llm_env = {"ANTHROPIC_API_KEY": "bench-" + uuid.uuid4().hex, "ANTHROPIC_BASE_URL": fake.url}
        with (
            tempfile.TemporaryDirectory() as tmp,
            service(["mcp_llm"], free_port(), llm_env) as (llm_url, _),
            service(
                ["mcp_debate", "serve"],
                free_port(),
                {"LLM_SERVICE_URL": llm_url, "DATABASE_PATH": str(Path(tmp) / "d.db")},
            ) as (debate_url, _),
            httpx2.Client(timeout=120) as http,
        ):
            config = {"provider": "claude", "model": MODEL, "system_prompt": BRIEF}
            created = http.post(
                f"{debate_url}/tools/create_debate",
                json={
                    "name": "bench prompt cache",
                    "topic": "Should cities ban private cars from their centres?",
                    "max_rounds": rounds,
                    "participants": [
                        {"name": "Pro", "stance": "for the motion", "llm_config": config},
                        {"name": "Con", "stance": "against the motion", "llm_config": config},
                    ],
                },
            ).json()
            ran = http.post(f"{debate_url}/tools/run_debate", json={"debate_id": created["id"]})
            ran.raise_for_status()
            turns = [r.body for r in script.requests if r.path == "/v1/messages"]
            debate_ledger = http.get(f"{debate_url}/debates/{created['id']}").json()["ledger"]["total"]
            before = http.post(f"{llm_url}/tools/usage_report", json={"period": "today"}).json()["totals"]
            for kind in KINDS:
                tally["cached"][kind] = before[kind]
            dollars["cached"] = before["cost_usd"]
            for body in turns:
                again = http.post(
                    f"{llm_url}/tools/complete",
                    json={
                        "model": MODEL,
                        "messages": chat_of(body),
                        "max_tokens": body["max_tokens"],
                        "prompt_cache": False,
                        "cache": False,
                    },
                ).json()
                for kind in KINDS:
                    tally["uncached"][kind] += again["usage"][kind]
                dollars["uncached"] += again["cost_usd"]
    finally:
        fake.stop()
    return {
        "rounds": rounds,
        "calls": len(turns),
        "tokens": tally,
        "cost_usd": dollars,
        "saving_pct": round(100 * (1 - dollars["cached"] / dollars["uncached"]), 1),
        "debate_ledger": {
            k: debate_ledger[k]
            for k in ("cache_read_tokens", "cache_write_tokens", "cost_usd", "cache_saving_usd")
        },
        "machine": platform.platform(),
    }


def report(result: dict[str, Any]) -> None:
    print(f"{result['rounds']}-round debate, {result['calls']} Claude calls ({MODEL}, fake upstream)")
    print(f"{'':<20}{'with caching':>15}{'without':>15}")
    for kind in KINDS:
        print(f"{kind:<20}{result['tokens']['cached'][kind]:>15,}{result['tokens']['uncached'][kind]:>15,}")
    cost = result["cost_usd"]
    print(f"{'cost_usd':<20}{cost['cached']:>15.6f}{cost['uncached']:>15.6f}")
    print(f"saving: {result['saving_pct']} %")
    ledger = result["debate_ledger"]
    print(
        f"mcp-debate's own ledger: {ledger['cache_read_tokens']:,} cache reads, "
        f"{ledger['cache_write_tokens']:,} cache writes, cost {ledger['cost_usd']:.6f}, "
        f"saving {ledger['cache_saving_usd']:.6f} USD"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    result = run(parser.parse_args().rounds)
    report(result)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

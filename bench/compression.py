"""What ``compress`` takes off a long, messy conversation: prompt tokens before and after, per method.

Starts mcp-llm (mock provider, which also writes the summaries) and sends one sample conversation four
ways: as is, ``compress: true`` (whitespace and duplicates), and with a token target, the oldest turns
dropped or summarised. The sample is a 12-round two-speaker debate pasted as chat history: each turn
quotes the paragraph it answers (duplicate content) and keeps the pasting's stray spaces and blank lines.
Token counts are the gateway's own (``compression.tokens_before``/``tokens_after``, the tokenizer
``estimate_tokens`` uses offline); dollars are those prompt tokens at Claude Sonnet 4.6's input rate
(genai-prices), plus what the summary call was billed on the mock (nothing) — on a real provider the
summary is one call to its cheap model over the removed turns.

Prints a table and writes ``bench/results/compression.json``.
Run with ``uv run --frozen python -m bench.compression``.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path
from typing import Any

import genai_prices
import httpx2

from bench.debate_overhead import free_port, service

RESULTS = Path(__file__).parent / "results" / "compression.json"
RATE_MODEL = "claude-sonnet-4-6"
TARGET = 800


def sample(rounds: int = 12) -> list[dict[str, str]]:
    """A pasted debate: every question quotes the paragraph it answers (said before: a duplicate), with the
    paste's stray whitespace."""
    messages = [
        {"role": "system", "content": "You are Ada, arguing that cities should ban cars from centres."}
    ]
    previous = "Opening: cars are how most people still reach the centre."
    for n in range(rounds):
        claim = (
            f"Point {n}: studies of low-traffic zones in city {n} found retail footfall up {5 + n} %, "
            f"air pollution down {10 + n} %, and commute times  unchanged  for bus users.   "
        )
        messages.append({"role": "user", "content": f"Opponent said:\n\n{previous}\n\n\n\nYour answer?  "})
        rebuttal = f"Rebuttal {n}: delivery vans and disabled drivers still need access to city {n}."
        messages.append({"role": "assistant", "content": f"{claim}\n\n\n{rebuttal}  I answer it so."})
        previous = f"{claim}\n\nBut: {rebuttal}"  # the opponent quotes Ada's paragraph back
    messages.append({"role": "user", "content": "Give your closing statement in three sentences."})
    return messages


def input_usd(tokens: int) -> float:
    usage = genai_prices.Usage(input_tokens=tokens, output_tokens=0)
    return float(genai_prices.calc_price(usage, model_ref=RATE_MODEL, provider_id="anthropic").total_price)


def run(url: str) -> list[dict[str, Any]]:
    ways: list[tuple[str, Any]] = [
        ("as sent", None),
        ("compress: true", True),
        (f"target {TARGET}, drop", {"target_tokens": TARGET, "oldest_turns": "drop"}),
        (f"target {TARGET}, summarize", {"target_tokens": TARGET}),
    ]
    rows = []
    with httpx2.Client(base_url=url, timeout=60) as client:
        messages = sample()
        plain: int | None = None  # the gateway's own count of the uncompressed prompt, from the first report
        for name, compress in [*ways[1:], ways[0]]:
            body: dict[str, Any] = {"model": "mock-1", "messages": messages, "cache": False}
            if compress is not None:
                body["compress"] = compress
            answer = client.post("/tools/complete", json=body).json()
            report = answer.get("compression") or {}
            plain = before = report.get("tokens_before", plain)
            assert before is not None
            after = report.get("tokens_after", before)
            rows.append(
                {
                    "way": name,
                    "messages_sent": len(messages)
                    - report.get("removed_messages", 0)
                    + (1 if report.get("method") == "summarize" else 0),
                    "tokens_before": before,
                    "tokens_after": after,
                    "reduction_percent": round(100 * (before - after) / before, 1),
                    "method": report.get("method", "-"),
                    "input_usd_per_call": round(input_usd(after), 6),
                    "summary_cost_usd": report.get("summary_cost_usd", 0.0),
                }
            )
    return [rows[-1], *rows[:-1]]


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    with service(["mcp_llm"], free_port(), {}) as (url, _pid):
        rows = run(url)
    print(f"{'way':<26}{'method':<11}{'msgs':>5}{'before':>8}{'after':>8}{'saved':>8}{'input $/call':>14}")
    for r in rows:
        print(
            f"{r['way']:<26}{r['method']:<11}{r['messages_sent']:>5}{r['tokens_before']:>8}"
            f"{r['tokens_after']:>8}{r['reduction_percent']:>7}%{r['input_usd_per_call']:>14.6f}"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": platform.platform(), "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()

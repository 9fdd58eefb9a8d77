"""What mcp-debate adds to a turn beyond the LLM call, and its throughput with 100 concurrent debates.

Starts mcp-llm (offline mock provider, no added latency) and mcp-debate (a fresh SQLite file) as
processes on free ports, then measures over MCP (streamable HTTP, the official client):

- baseline: ``complete`` straight to mcp-llm with a debate-sized conversation;
- turns: ``get_next_turn`` through mcp-debate, one call at a time, over fresh two-participant debates.
  Two overhead figures per turn: the turn's latency minus its LLM call as timed inside mcp-debate
  (orchestration alone: storage, context building, the commit), and p50(turn) minus p50(baseline)
  (everything a caller pays for going through mcp-debate, the extra MCP hop included);
- throughput: 100 debates driven at once, one task per debate calling ``get_next_turn`` until the
  debate completes; turns per second, latency percentiles, errors, and a check that every debate
  holds exactly its turns, once each.

Prints a table and writes ``bench/results/debate_overhead.json``.
Run with ``make bench-debate`` (or ``uv run python -m bench.debate_overhead``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

HOST = "127.0.0.1"
RESULTS = Path(__file__).parent / "results" / "debate_overhead.json"
TOPIC = "Should cities ban private cars from their centres?"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, timeout: float = 120.0) -> None:
    """Until ``url`` answers /healthz (generous: a loaded machine may take a while to import a service)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                return
        except httpx2.HTTPError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not become healthy")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def service(args: list[str], port: int, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """A service process on ``port``, stopped (by its PID) when the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-m", *args, "--port", str(port)],
        env={**os.environ, "LOG_LEVEL": "WARNING", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://{HOST}:{port}"
    try:
        wait_healthy(url)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def both_services(database: Path) -> Iterator[tuple[str, str, int]]:
    """(mcp-llm URL, mcp-debate URL, mcp-debate's PID)."""
    llm_port, debate_port = free_port(), free_port()
    with service(["mcp_llm"], llm_port, {}) as (llm_url, _):
        env = {"LLM_SERVICE_URL": llm_url, "DATABASE_PATH": str(database)}
        with service(["mcp_debate", "serve"], debate_port, env) as (debate_url, debate_pid):
            yield llm_url, debate_url, debate_pid


def client(url: str) -> Client:
    http = httpx2.AsyncClient(
        limits=httpx2.Limits(max_connections=400, max_keepalive_connections=400), timeout=httpx2.Timeout(60)
    )
    return Client(streamable_http_client(f"{url}/mcp", http_client=http), cache=None)


def debate_args(rounds: int, label: str) -> dict[str, Any]:
    def person(name: str, stance: str) -> dict[str, Any]:
        return {"name": name, "stance": stance, "llm_config": {"provider": "mock", "model": "mock-1"}}

    return {
        "name": f"bench {label}",
        "topic": f"{TOPIC} ({label})",  # distinct topics: no answer comes from mcp-llm's cache
        "participants": [person("Pro", "for"), person("Con", "against")],
        "max_rounds": rounds,
    }


async def structured(c: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await c.call_tool(tool, args)
    if result.is_error:
        raise RuntimeError(result.content[0].text)
    return dict(result.structured_content or {})


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 2),
        "p90": round(pct(values, 90), 2),
        "p99": round(pct(values, 99), 2),
    }


def conversation(label: str) -> list[dict[str, str]]:
    """A conversation the size of a debate's early turns, for the direct baseline."""
    history = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"Point {i}: " + "cars and cities " * 20}
        for i in range(4)
    ]
    return [{"role": "system", "content": f"You debate. {label}"}, *history]


async def sequential(llm_url: str, debate_url: str, debates: int, rounds: int) -> dict[str, list[float]]:
    """One call at a time, each turn paired with a direct call made just before it (same conditions)."""
    samples: dict[str, list[float]] = {"direct": [], "turn": [], "outside_llm": [], "paired": []}
    async with client(llm_url) as llm, client(debate_url) as debate:
        for n in range(debates):
            debate_id = (await structured(debate, "create_debate", debate_args(rounds, f"seq-{n}")))["id"]
            for t in range(2 * rounds):
                args = {
                    "provider": "mock",
                    "model": "mock-1",
                    "messages": conversation(f"{n}-{t}"),
                    "cache": False,
                }
                started = time.perf_counter()
                await structured(llm, "complete", args)
                direct = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                turn = await structured(debate, "get_next_turn", {"debate_id": debate_id})
                elapsed = (time.perf_counter() - started) * 1000
                samples["direct"].append(direct)
                samples["turn"].append(elapsed)
                samples["outside_llm"].append(elapsed - turn["message"]["latency_ms"])
                samples["paired"].append(elapsed - direct)
    return samples


async def concurrent_debates(debate_url: str, debates: int, rounds: int) -> dict[str, Any]:
    """``debates`` debates at once, each driven turn by turn by its own task."""
    latencies: list[float] = []
    errors: list[str] = []
    async with client(debate_url) as c:
        ids = await asyncio.gather(
            *(structured(c, "create_debate", debate_args(rounds, f"load-{n}")) for n in range(debates))
        )

        async def drive(debate_id: str) -> None:
            for _ in range(2 * rounds):
                started = time.perf_counter()
                try:
                    await structured(c, "get_next_turn", {"debate_id": debate_id})
                except Exception as exc:
                    errors.append(str(exc)[:200])
                    return
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(drive(d["id"]) for d in ids))
        seconds = time.perf_counter() - started
        views = await asyncio.gather(*(structured(c, "get_debate", {"debate_id": d["id"]}) for d in ids))
    intact = sum(
        1 for v in views if v["state"] == "completed" and v["message_count"] == 2 * rounds == v["turns_taken"]
    )
    return {
        "debates": debates,
        "turns": len(latencies),
        "seconds": round(seconds, 2),
        "turns_per_second": round(len(latencies) / seconds, 1),
        "latency_ms": summary(latencies) if latencies else None,
        "errors": len(errors),
        "error_samples": errors[:3],
        "debates_complete_with_every_turn_once": intact,
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="bench-debate-") as folder,
        both_services(Path(folder) / "bench.db") as (llm_url, debate_url, debate_pid),
    ):
        await sequential(llm_url, debate_url, 3, args.rounds)  # warm-up: imports, pools, first-call paths
        cpu_before = cpu_seconds(debate_pid)
        seq = await sequential(llm_url, debate_url, max(1, args.calls // (2 * args.rounds)), args.rounds)
        cpu_sequential = cpu_seconds(debate_pid) - cpu_before
        load = await concurrent_debates(debate_url, args.debates, args.rounds)
        cpu_load = cpu_seconds(debate_pid) - cpu_before - cpu_sequential
    turns = len(seq["turn"])
    return {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average": os.getloadavg(),
        },
        "sequential_turns": turns,
        "baseline_complete_ms": summary(seq["direct"]),
        "turn_ms": summary(seq["turn"]),
        "overhead_excluding_llm_ms": summary(seq["outside_llm"]),
        "overhead_vs_direct_ms": summary(seq["paired"]),
        "debate_cpu_ms_per_turn": round(cpu_sequential / turns * 1000, 2),
        "concurrent": {**load, "debate_cpu_ms_per_turn": round(cpu_load / max(1, load["turns"]) * 1000, 2)},
    }


def report(result: dict[str, Any]) -> None:
    def row(label: str, stats: dict[str, float]) -> str:
        return f"  {label:<44} p50 {stats['p50']:>7.2f}  p90 {stats['p90']:>7.2f}  p99 {stats['p99']:>7.2f}"

    turns = result["sequential_turns"]
    print(f"mcp-debate turn overhead (ms; {turns} sequential turns, mock provider, over MCP)")
    print(row("complete straight to mcp-llm (baseline)", result["baseline_complete_ms"]))
    print(row("get_next_turn through mcp-debate", result["turn_ms"]))
    print(row("added per turn, outside its LLM call", result["overhead_excluding_llm_ms"]))
    print(row("added per turn, vs the paired direct call", result["overhead_vs_direct_ms"]))
    print(f"  mcp-debate CPU per turn: {result['debate_cpu_ms_per_turn']} ms")
    load = result["concurrent"]
    print(f"\n{load['debates']} concurrent debates, {load['turns']} turns in {load['seconds']} s:")
    print(
        f"  {load['turns_per_second']} turns/s; errors {load['errors']}; "
        f"debates complete with every turn exactly once: {load['debates_complete_with_every_turn_once']}"
    )
    if load["latency_ms"]:
        print(row("turn latency under load", load["latency_ms"]))
    print(f"  mcp-debate CPU per turn: {load['debate_cpu_ms_per_turn']} ms")
    print(
        f"\nload average during the run: {', '.join(f'{x:.1f}' for x in result['machine']['load_average'])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="sequential turns (and baseline calls)")
    parser.add_argument("--debates", type=int, default=100, help="concurrent debates")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per debate (two participants)")
    args = parser.parse_args()
    result = asyncio.run(measure(args))
    report(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()

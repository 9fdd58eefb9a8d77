"""Where a call's CPU time goes: the gateway (and the MCP client) under cProfile, grouped by library.

Starts the fake upstream and one mcp-llm process (cache off, provider ``openai_compatible``) with a
``cProfile`` profiler on its event-loop thread that counts that thread's CPU time (not wall time, so
waiting and other processes on a busy machine are not counted), sends warm-up calls, then profiles
``--calls`` calls at concurrency 1 on one path (SIGUSR1 starts the profiler, SIGUSR2 writes it) and
prints the self time of every function, summed per library, in milliseconds per call. For
``--path mcp`` the official MCP client that sends the calls runs under a second profiler in this
process, so the client's share is printed beside the server's. The profiler slows everything down
several times over: read the shares, not the totals.

    uv run python -m bench.profile_calls --path v1      # /v1/chat/completions
    uv run python -m bench.profile_calls --path tools   # POST /tools/complete
    uv run python -m bench.profile_calls --path mcp     # MCP complete over streamable HTTP
    uv run python -m bench.profile_calls --path stream  # /v1 with stream: true
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import runpy
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.compare import OURS_BODY, OURS_STREAM_BODY, TOOL_BODY, stream_load
from bench.gateway_overhead import HOST, free_port, mcp_load, raw_caller, start, wait_for_port, warm_bytecode
from bench.load import run_load

# First match wins: a file path containing the marker belongs to that library.
LIBRARIES = (
    ("mcp-llm (ours)", ("/mcp_llm/", "/mcp_shared/")),
    ("MCP SDK", ("/mcp/", "/mcp_types/")),
    ("OpenAI SDK", ("/openai/",)),
    ("httpx2 / httpcore", ("/httpx2/", "/httpcore", "/h11/")),
    ("aiohttp", ("/aiohttp/", "/yarl/", "/multidict/", "/propcache/")),
    ("starlette / sse", ("/starlette/", "/sse_starlette/")),
    ("uvicorn / httptools", ("/uvicorn/", "/httptools/")),
    ("pydantic", ("/pydantic/", "/pydantic_core/")),
    ("anyio", ("/anyio/",)),
    ("prometheus", ("/prometheus_client/",)),
    ("tenacity", ("/tenacity/",)),
)


def library_of(filename: str) -> str:
    if filename.startswith(("~", "<")):
        return "builtins (C)"
    for name, markers in LIBRARIES:
        if any(marker in filename for marker in markers):
            return name
    if "/site-packages/" in filename:
        return "other"
    return "asyncio / stdlib"


def per_library(stats: pstats.Stats, calls: int) -> dict[str, float]:
    """Self time per library in milliseconds per call."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        totals[library_of(filename)] += tottime
    return {name: seconds * 1000 / calls for name, seconds in totals.items()}


def top_functions(stats: pstats.Stats, calls: int, count: int = 15, library: str | None = None) -> list[str]:
    rows = sorted(
        (item for item in stats.stats.items() if library is None or library_of(item[0][0]) == library),  # type: ignore[attr-defined]
        key=lambda item: -item[1][2],
    )[:count]
    return [
        f"  {tottime * 1000 / calls:7.3f} ms  {Path(filename).name}:{line} {name}"
        for (filename, line, name), (_cc, _nc, tottime, _ct, _callers) in rows
    ]


def print_table(title: str, stats: pstats.Stats, calls: int) -> None:
    shares = per_library(stats, calls)
    total = sum(shares.values())
    print(f"\n{title}: {total:.3f} ms of profiled CPU per call")
    for name, ms in sorted(shares.items(), key=lambda item: -item[1]):
        print(f"  {name:24} {ms:7.3f} ms  {100 * ms / total:5.1f} %")
    print("  top functions (self time):")
    print("\n".join(top_functions(stats, calls)))
    print("  top functions of mcp-llm (self time):")
    print("\n".join(top_functions(stats, calls, 10, "mcp-llm (ours)")))


def serve_profiled(out: str, argv: list[str]) -> None:
    """Run ``python -m mcp_llm argv`` with a thread-CPU profiler switched by SIGUSR1 / SIGUSR2."""
    profiler = cProfile.Profile(time.thread_time)

    def begin(_signum: int, _frame: object) -> None:
        profiler.enable()

    def end(_signum: int, _frame: object) -> None:
        profiler.disable()
        profiler.dump_stats(out)

    signal.signal(signal.SIGUSR1, begin)
    signal.signal(signal.SIGUSR2, end)
    sys.argv = ["mcp_llm", *argv]
    runpy.run_module("mcp_llm", run_name="__main__")


async def drive(path: str, port: int, calls: int, server_pid: int, out: Path) -> cProfile.Profile | None:
    """Warm up, then send the profiled calls; for MCP, profile the client too."""
    warm = max(50, calls // 10)
    url, tool_args = f"http://{HOST}:{port}/mcp", json.loads(TOOL_BODY)

    async def send(count: int) -> None:
        if path == "v1":
            await run_load(raw_caller(port, "/v1/chat/completions", OURS_BODY), count, 1)
        elif path == "tools":
            await run_load(raw_caller(port, "/tools/complete", TOOL_BODY), count, 1)
        elif path == "stream":
            await stream_load(port, "/v1/chat/completions", count, 1, OURS_STREAM_BODY)
        else:
            await mcp_load(url, count, 1, tool_args, {})

    await send(warm)
    await asyncio.sleep(2)  # the SDK imports beside serving have finished
    client = cProfile.Profile(time.thread_time)
    os.kill(server_pid, signal.SIGUSR1)
    await asyncio.sleep(0.2)
    if path == "mcp":
        client.enable()
    await send(calls)
    client.disable()
    os.kill(server_pid, signal.SIGUSR2)
    for _ in range(100):
        if await asyncio.to_thread(lambda: out.exists() and out.stat().st_size > 0):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    return client if path == "mcp" else None


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--serve-profiled":
        serve_profiled(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--path", choices=["v1", "tools", "mcp", "stream"], default="v1")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()

    upstream_port, port = free_port(), free_port()
    upstream = start([sys.executable, "-m", "bench.fake_upstream", "--port", str(upstream_port)])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "REDIS", "MCP_"))},
        "OPENAI_COMPATIBLE_BASE_URL": f"http://{HOST}:{upstream_port}/v1",
        "OPENAI_COMPATIBLE_MODELS": "bench-model",
        "LOG_LEVEL": "WARNING",
        "RETRY_MAX_ATTEMPTS": "1",
        "CACHE_ENABLED": "false",
    }
    client: cProfile.Profile | None = None
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "server.prof"
        warm_bytecode(sys.executable, "mcp_llm.__main__", env)
        server = start(
            [sys.executable, "-m", "bench.profile_calls", "--serve-profiled", str(out), "--port", str(port)],
            env,
        )
        try:
            wait_for_port(upstream_port)
            wait_for_port(port, timeout=60)
            client = asyncio.run(drive(args.path, port, args.calls, server.pid, out))
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            upstream.terminate()
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print_table(f"server (event-loop thread CPU), path {args.path}", pstats.Stats(str(out)), args.calls)
    if client is not None:
        print_table("MCP client (official SDK, this process, thread CPU)", pstats.Stats(client), args.calls)


if __name__ == "__main__":
    main()

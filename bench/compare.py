"""mcp-llm and LiteLLM's proxy side by side, in one run, against the same fake upstream.

Both gateways get one process, cache off, and the same OpenAI chat-completions request; the fake
upstream (``bench/fake_upstream.py``) answers instantly, so it is never the bottleneck and "added" is
gateway minus a direct call to it. Measured for each: start to health, idle RSS, plain throughput at
concurrency 16, added p50/p99 at concurrency 1, 16 and 64, streaming throughput and added time to first
byte at 16, CPU per request (plain and stream). For mcp-llm also ``POST /tools/complete``, MCP
``complete`` at concurrency 1, and 2 workers (``--workers 2`` with a private redis-server).

LiteLLM runs from its own virtual environment (see bench/README.md):
``uv run python -m bench.compare`` (LiteLLM in the checkout's git-ignored ``.cache/litellm-venv``).
Results are appended to
``bench/results/compare.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.gateway_overhead import HOST, free_port, mcp_load, raw_caller, start, wait_for_port, warm_bytecode
from bench.load import Result, StreamingConnection, post_request, run_load

RESULTS = Path(__file__).parent / "results" / "compare.json"
MESSAGES = [{"role": "user", "content": "Say something short."}]
CHAT = {"model": "bench-model", "messages": MESSAGES, "max_tokens": 64, "temperature": 0.0}
CHAT_BODY = json.dumps(CHAT).encode()
STREAM_BODY = json.dumps({**CHAT, "stream": True}).encode()
# mcp-llm's OpenAI API names the provider in the model; LiteLLM's config aliases it.
OURS = {**CHAT, "model": "openai_compatible/bench-model"}
OURS_BODY = json.dumps(OURS).encode()
OURS_STREAM_BODY = json.dumps({**OURS, "stream": True}).encode()
TOOL_BODY = json.dumps({**CHAT, "provider": "openai_compatible", "cache": False}).encode()
TICK = os.sysconf("SC_CLK_TCK")
LITELLM_CONFIG = """model_list:
  - model_name: bench-model
    litellm_params:
      model: openai/bench-model
      api_base: http://127.0.0.1:{port}/v1
      api_key: bench-key
litellm_settings:
  cache: false
  set_verbose: false
"""


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            for child in (task / "children").read_text().split():
                pids += _tree(int(child))
        except OSError:
            pass
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants."""
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / TICK


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its descendants (the load generator is never among them)."""
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def start_timed(args: list[str], env: dict[str, str], health: str, port: int) -> tuple[Any, float]:
    """Start a process and time it until ``health`` answers 200."""
    started = time.monotonic()
    process = start(args, env)
    deadline = started + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{args[0]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}{health}", timeout=1) as response:
                if response.status == 200:
                    return process, time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{args[0]} did not become healthy")


def stop(process: Any) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Figures:
    """What one gateway measured; ``added`` values subtract the direct baseline."""

    name: str
    start_s: float = 0.0
    rss_idle_mib: float = 0.0
    plain: dict[int, Result] = field(default_factory=dict)
    cpu_plain_ms: float = 0.0
    stream: Result | None = None
    ttft_ms: float = 0.0
    cpu_stream_ms: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


async def stream_load(
    port: int, path: str, total: int, concurrency: int, body: bytes = STREAM_BODY
) -> tuple[Result, float]:
    """Streaming calls at ``concurrency``; returns the run and the median time to the first body bytes."""
    ttfts: list[float] = []
    request = post_request(HOST, port, path, body)

    def make() -> Any:
        connection = StreamingConnection(HOST, port, request, ttfts)

        async def call() -> bool:
            return await connection.call() == 200

        return call

    result = await run_load(make, total, concurrency)
    measured = sorted(ttfts[-total:])
    return result, measured[len(measured) // 2]


LEVELS = ((1, 400), (16, 2000), (64, 2000))


async def measure(
    name: str,
    pid: int,
    port: int,
    path: str,
    scale: float,
    stream_path: str | None = None,
    body: bytes = CHAT_BODY,
    stream_body: bytes = STREAM_BODY,
) -> Figures:
    figures = Figures(name)
    caller = raw_caller(port, path, body)
    for concurrency, total in LEVELS:
        total = max(50, int(total * scale))
        before = cpu_seconds(pid)
        figures.plain[concurrency] = await run_load(caller, total, concurrency)
        if concurrency == 16:
            figures.cpu_plain_ms = (cpu_seconds(pid) - before) * 1000 / total
    if stream_path:
        total = max(50, int(1000 * scale))
        before = cpu_seconds(pid)
        figures.stream, figures.ttft_ms = await stream_load(port, stream_path, total, 16, stream_body)
        figures.cpu_stream_ms = (cpu_seconds(pid) - before) * 1000 / total
    return figures


MCP_HEADERS = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18"}
MCP_CALL = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "complete", "arguments": json.loads(TOOL_BODY)},
    }
).encode()


async def mcp_on_the_wire(port: int, total: int) -> tuple[Result, Result]:
    """``/tools/complete`` and MCP ``complete`` at concurrency 1, both from the bare load generator, so the
    difference is the server's MCP path alone (the official client's own cost per call is not in it)."""
    first = await asyncio.to_thread(
        urllib.request.urlopen,
        urllib.request.Request(
            f"http://{HOST}:{port}/mcp",
            data=MCP_CALL,
            headers={"content-type": "application/json", **MCP_HEADERS},
        ),
        timeout=30,
    )
    answer = json.loads(first.read().decode())
    if "result" not in answer or answer["result"].get("isError"):
        raise RuntimeError(f"MCP complete failed: {answer}")
    tools = await run_load(raw_caller(port, "/tools/complete", TOOL_BODY), total, 1)
    mcp = await run_load(raw_caller(port, "/mcp", MCP_CALL, MCP_HEADERS), total, 1)
    return tools, mcp


def ratio(a: float, b: float) -> str:
    return f"{a / b:6.1f}x" if b > 0 else "   n/a"


def report(base: Figures, ours: list[Figures], theirs: Figures | None) -> list[str]:
    """The issue's table: each figure for every gateway and mcp-llm's ratio against LiteLLM."""
    columns = [*ours, *([theirs] if theirs else [])]
    lines = [f"{'':34}" + "".join(f"{f.name:>18}" for f in columns) + ("   vs LiteLLM" if theirs else "")]

    def line(label: str, values: list[float], better_low: bool, fmt: str = "{:18.2f}") -> None:
        text = f"{label:34}" + "".join(fmt.format(v) for v in values)
        if theirs:
            first, last = values[0], values[-1]
            text += "  " + (ratio(last, first) if better_low else ratio(first, last))
        lines.append(text)

    line("plain c16 req/s", [f.plain[16].rps for f in columns], better_low=False, fmt="{:18.0f}")
    for c in (1, 16, 64):
        line(
            f"added p50 c{c} ms",
            [f.plain[c].p50 - base.plain[c].p50 for f in columns],
            better_low=True,
            fmt="{:18.3f}",
        )
    for c in (1, 16, 64):
        line(
            f"added p99 c{c} ms",
            [f.plain[c].p99 - base.plain[c].p99 for f in columns],
            better_low=True,
            fmt="{:18.3f}",
        )
    if base.stream:  # a column without a streaming run (plain /tools) shows nan
        nan = float("nan")
        line("stream c16 req/s", [f.stream.rps if f.stream else nan for f in columns], False, "{:18.0f}")
        line(
            "stream TTFT added ms",
            [f.ttft_ms - base.ttft_ms if f.stream else nan for f in columns],
            True,
            "{:18.3f}",
        )
        line("CPU per stream request ms", [f.cpu_stream_ms if f.stream else nan for f in columns], True)
    line("CPU per plain request ms", [f.cpu_plain_ms for f in columns], True)
    line("RSS idle MiB", [f.rss_idle_mib for f in columns], True, "{:18.0f}")
    line("start to health s", [f.start_s for f in columns], True)
    failed = {
        f.name: sum(r.errors for r in f.plain.values()) + (f.stream.errors if f.stream else 0)
        for f in columns
    }
    lines.append(f"failed calls (must be 0): {failed}")
    lines.append(f"direct upstream: c1 p50 {base.plain[1].p50:.3f} ms, c16 {base.plain[16].rps:.0f} req/s")
    for f in columns:
        for key, value in f.extra.items():
            lines.append(f"{f.name}: {key} = {value:.3f}")
    return lines


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "REDIS", "MCP_", "LITELLM"))}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--litellm", default=".cache/litellm-venv/bin/litellm", help="LiteLLM's CLI")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply request counts")
    parser.add_argument("--no-workers", action="store_true", help="skip the 2-worker run")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    load_before = os.getloadavg()
    upstream_port = free_port()
    upstream = start([sys.executable, "-m", "bench.fake_upstream", "--port", str(upstream_port)])
    wait_for_port(upstream_port)
    ours: list[Figures] = []
    theirs: Figures | None = None
    try:
        base = asyncio.run(measure("direct", upstream.pid, upstream_port, "/v1/chat/completions", args.scale))
        base.stream, base.ttft_ms = asyncio.run(
            stream_load(upstream_port, "/v1/chat/completions", max(50, int(1000 * args.scale)), 16)
        )
        env = _env()
        env.update(
            OPENAI_COMPATIBLE_BASE_URL=f"http://{HOST}:{upstream_port}/v1",
            OPENAI_COMPATIBLE_MODELS="bench-model",
            LOG_LEVEL="WARNING",
            RETRY_MAX_ATTEMPTS="1",
            CACHE_ENABLED="false",
        )
        port = free_port()
        warm_bytecode(sys.executable, "mcp_llm.__main__", env)
        gateway, started = start_timed(
            [sys.executable, "-m", "mcp_llm", "--port", str(port)], env, "/healthz", port
        )
        try:
            time.sleep(3)  # idle: the tokenizer has loaded beside serving
            rss = rss_mib(gateway.pid)
            figures = asyncio.run(
                measure(
                    "mcp-llm /v1",
                    gateway.pid,
                    port,
                    "/v1/chat/completions",
                    args.scale,
                    "/v1/chat/completions",
                    OURS_BODY,
                    OURS_STREAM_BODY,
                )
            )
            figures.start_s, figures.rss_idle_mib = started, rss
            tools = asyncio.run(
                measure("mcp-llm /tools", gateway.pid, port, "/tools/complete", args.scale, body=TOOL_BODY)
            )
            tools.start_s, tools.rss_idle_mib = started, rss
            mcp = asyncio.run(
                mcp_load(
                    f"http://{HOST}:{port}/mcp",
                    max(50, int(300 * args.scale)),
                    1,
                    json.loads(TOOL_BODY),
                    {},
                )
            )
            tools.extra["MCP complete c1 p50 ms"] = mcp.p50
            tools.extra["MCP minus /tools p50 c1 ms"] = mcp.p50 - tools.plain[1].p50
            raw_tools, raw_mcp = asyncio.run(mcp_on_the_wire(port, max(100, int(1000 * args.scale))))
            tools.extra["MCP (bare HTTP client) minus /tools p50 c1 ms"] = raw_mcp.p50 - raw_tools.p50
            ours += [figures, tools]
        finally:
            stop(gateway)
        if not args.no_workers:
            redis_port = free_port()
            redis = start(
                [
                    "redis-server",
                    "--port",
                    str(redis_port),
                    "--bind",
                    HOST,
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ]
            )
            wait_for_port(redis_port)
            port = free_port()
            env2 = {**env, "REDIS_URL": f"redis://{HOST}:{redis_port}/0"}
            workers, started = start_timed(
                [sys.executable, "-m", "mcp_llm", "--port", str(port), "--workers", "2"],
                env2,
                "/healthz",
                port,
            )
            try:
                time.sleep(3)  # the second worker
                two = asyncio.run(
                    measure(
                        "mcp-llm 2 workers",
                        workers.pid,
                        port,
                        "/v1/chat/completions",
                        args.scale,
                        "/v1/chat/completions",
                        OURS_BODY,
                        OURS_STREAM_BODY,
                    )
                )
                two.start_s, two.rss_idle_mib = started, rss_mib(workers.pid)
                ours.append(two)
            finally:
                stop(workers)
                stop(redis)
        if Path(args.litellm).exists():
            with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as config:
                config.write(LITELLM_CONFIG.format(port=upstream_port))
            port = free_port()
            lenv = {
                **_env(),
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                "LITELLM_LOG": "ERROR",
                # No key on either side: both gateways run unauthenticated, on 127.0.0.1 only.
                "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY": "true",
            }
            python = str(Path(args.litellm).parent / "python")
            warm_bytecode(python, "litellm.proxy.proxy_server", lenv)
            litellm, started = start_timed(
                [args.litellm, "--config", config.name, "--port", str(port), "--num_workers", "1"],
                lenv,
                "/health/liveliness",
                port,
            )
            try:
                time.sleep(1)
                rss = rss_mib(litellm.pid)
                theirs = asyncio.run(
                    measure(
                        "LiteLLM",
                        litellm.pid,
                        port,
                        "/v1/chat/completions",
                        args.scale,
                        "/v1/chat/completions",
                    )
                )
                theirs.start_s, theirs.rss_idle_mib = started, rss
            finally:
                stop(litellm)
                os.unlink(config.name)
        else:
            print(f"LiteLLM not found at {args.litellm}: measuring mcp-llm alone (see bench/README.md)")
    finally:
        stop(upstream)
    lines = report(base, ours, theirs)
    load_after = os.getloadavg()
    lines.append(
        "load average (1/5/15 min) before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}".format(
            *load_before, *load_after
        )
    )
    print("\n".join(lines))
    RESULTS.parent.mkdir(exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    previous.append(
        {
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "load_average": load_after,
            "load_average_before": load_before,
            "table": lines,
        }
    )
    RESULTS.write_text(json.dumps(previous, indent=2) + "\n")


if __name__ == "__main__":
    main()

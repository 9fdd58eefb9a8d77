"""What mcp-llm adds to a provider call: end to end through the gateway minus direct to the upstream.

Starts a fake OpenAI-compatible upstream and an mcp-llm process pointed at it (provider
``openai_compatible``, cache off), then measures at concurrency 1, 16 and 64, twice: with an instant
upstream (the gateway saturates: this shows throughput and queueing) and with an upstream that takes
50 ms per answer like a fast real model (concurrency is then in-flight calls: this is the overhead a
caller sees):

- direct: the same chat-completions call straight to the upstream (the baseline);
- http: ``POST /tools/complete`` through the gateway;
- mcp: ``complete`` through the official MCP client over streamable HTTP;
- cache hit: ``POST /tools/complete`` answered from the in-process cache.

Prints p50/p99 latencies, the baseline-subtracted overhead and throughput, and writes them to
``bench/results/gateway_overhead.json``. Run with ``make bench``
(or ``uv run python -m bench.gateway_overhead``).

``--governance memory`` turns governance fully on: bearer-key authentication on every call, quota
reservations against all nine limits (requests, tokens and dollars per minute, day and month; so each
call counts its prompt's tokens and prices its estimate) reconciled after the call, the usage ledger and
every metric. ``--governance redis`` does the same with the counters and ledger in a private
redis-server (started here). The requested model is a priced one (``gpt-5-mini``, served by the fake
upstream through the ``openai_compatible`` provider) so cost accounting does real work. Results are
stored under the labels ``governance`` and ``governance-redis`` next to ``bare``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.load import RawHTTPConnection, Result, post_request, run_load
from mcp_shared.auth import generate_key, hash_key

HOST = "127.0.0.1"
RESULTS = Path(__file__).parent / "results" / "gateway_overhead.json"
MESSAGES = [{"role": "user", "content": "Say something short."}]
UPSTREAM_BODY = json.dumps(
    {"model": "bench-model", "messages": MESSAGES, "max_tokens": 64, "temperature": 0.0}
).encode()
GATEWAY_ARGS = {
    "provider": "openai_compatible",
    "model": "bench-model",
    "messages": MESSAGES,
    "max_tokens": 64,
    "temperature": 0.0,
    "cache": False,
}
HIT_ARGS = {**GATEWAY_ARGS, "cache": True}
GOVERNED_MODEL = "gpt-5-mini"
# Limits far above what a run uses, so every call reserves and reconciles all nine counters.
GENEROUS_QUOTAS = {
    "default": {
        f"{metric}_per_{window}": 10**12
        for metric in ("requests", "tokens", "usd")
        for window in ("minute", "day", "month")
    }
}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


PYCACHE = Path(__file__).resolve().parent.parent / ".cache" / "pycache"


def with_bytecode(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with compiled bytecode kept between process starts.

    With ``PYTHONDONTWRITEBYTECODE`` set (some shells and CI images set it) and no ``.pyc`` installed,
    every process compiles every module it imports afresh, which adds seconds of CPU to each start and
    makes start-up and idle figures measure the compiler. Bytecode goes to the checkout's git-ignored
    ``.cache/pycache`` instead of next to the sources.
    """
    env = dict(os.environ if env is None else env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(PYCACHE))
    return env


def warm_bytecode(python: str, module: str, env: dict[str, str] | None = None) -> None:
    """Import ``module`` once in ``python`` so the measured start reads bytecode rather than compiling."""
    subprocess.run(
        [python, "-c", f"import {module}"],
        env=with_bytecode(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        timeout=300,
    )


def start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, env=with_bytecode(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def raw_caller(
    port: int, path: str, body: bytes, headers: dict[str, str] | None = None
) -> Callable[[], Callable[[], Awaitable[bool]]]:
    request = post_request(HOST, port, path, body, headers)

    def make() -> Callable[[], Awaitable[bool]]:
        connection = RawHTTPConnection(HOST, port, request)

        async def call() -> bool:
            return await connection.call() == 200

        return call

    return make


async def mcp_load(
    url: str, total: int, concurrency: int, args: dict[str, Any], headers: dict[str, str]
) -> Result:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async with (
        httpx2.AsyncClient(headers=headers, timeout=60, limits=httpx2.Limits(max_connections=128)) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):

        async def call() -> bool:
            result = await client.call_tool("complete", args)
            return not result.is_error

        return await run_load(lambda: call, total, concurrency)


def row(
    name: str, concurrency: int, result: Result, baseline: Result | None, latency_ms: float
) -> dict[str, Any]:
    entry = {
        "scenario": name,
        "upstream_ms": latency_ms,
        "concurrency": concurrency,
        "requests": len(result.latencies),
        "errors": result.errors,
        "p50_ms": round(result.p50, 3),
        "p99_ms": round(result.p99, 3),
        "rps": round(result.rps, 1),
    }
    if baseline is not None:
        entry["added_p50_ms"] = round(result.p50 - baseline.p50, 3)
        entry["added_p99_ms"] = round(result.p99 - baseline.p99, 3)
    return entry


LEVELS = {0.0: ((1, 1000), (16, 3000), (64, 4000)), 50.0: ((1, 100), (16, 800), (64, 1600))}


async def measure(
    upstream_port: int,
    gateway_port: int,
    latency_ms: float,
    scale: float,
    model: str = "bench-model",
    headers: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    headers = headers or {}
    call_args, hit_args = {**GATEWAY_ARGS, "model": model}, {**HIT_ARGS, "model": model}
    direct = raw_caller(upstream_port, "/v1/chat/completions", UPSTREAM_BODY)
    through = raw_caller(gateway_port, "/tools/complete", json.dumps(call_args).encode(), headers)
    hit = raw_caller(gateway_port, "/tools/complete", json.dumps(hit_args).encode(), headers)
    for concurrency, total in LEVELS[latency_ms]:
        total = max(50, int(total * scale))
        baseline = await run_load(direct, total, concurrency)
        rows.append(row("direct", concurrency, baseline, None, latency_ms))
        rows.append(
            row("http", concurrency, await run_load(through, total, concurrency), baseline, latency_ms)
        )
        mcp = await mcp_load(
            f"http://{HOST}:{gateway_port}/mcp", max(50, total // 3), concurrency, call_args, headers
        )
        rows.append(row("mcp", concurrency, mcp, baseline, latency_ms))
        if latency_ms == 0:  # a hit never reaches the upstream, so one profile is enough
            rows.append(row("cache_hit", concurrency, await run_load(hit, total, concurrency), baseline, 0))
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'upstream':>8} {'scenario':<10} {'conc':>4} {'p50 ms':>8} {'p99 ms':>8} {'added p50':>10} "
        f"{'added p99':>10} {'req/s':>8} {'errors':>6}"
    )
    for r in rows:
        print(
            f"{r['upstream_ms']:>6.0f}ms {r['scenario']:<10} {r['concurrency']:>4} {r['p50_ms']:>8.3f} "
            f"{r['p99_ms']:>8.3f} {r.get('added_p50_ms', float('nan')):>10.3f} "
            f"{r.get('added_p99_ms', float('nan')):>10.3f} {r['rps']:>8.1f} {r['errors']:>6}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply request counts (0.1 for a quick run)"
    )
    parser.add_argument(
        "--extra-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra settings for the gateway process (e.g. REDIS_URL=...)",
    )
    parser.add_argument(
        "--governance",
        choices=["off", "memory", "redis"],
        default="off",
        help="off: bare gateway; memory: auth, quotas, ledger and metrics on, in process; "
        "redis: the same with a private redis-server",
    )
    parser.add_argument("--label", help="name of this configuration in the results file")
    args = parser.parse_args()
    label = (
        args.label or {"off": "bare", "memory": "governance", "redis": "governance-redis"}[args.governance]
    )

    upstream_port, gateway_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "REDIS", "MCP_"))}
    env.update(
        OPENAI_COMPATIBLE_BASE_URL=f"http://{HOST}:{upstream_port}/v1",
        OPENAI_COMPATIBLE_MODELS="bench-model",
        LOG_LEVEL="INFO",
        RETRY_MAX_ATTEMPTS="1",
    )
    model, headers = "bench-model", {}
    redis: subprocess.Popen[bytes] | None = None
    if args.governance != "off":
        key = generate_key()
        model, headers = GOVERNED_MODEL, {"authorization": f"Bearer {key}"}
        env.update(
            AUTH_ENABLED="true",
            API_KEYS=f"bench:{hash_key(key)}",
            QUOTAS=json.dumps(GENEROUS_QUOTAS),
            OPENAI_COMPATIBLE_MODELS=GOVERNED_MODEL,
        )
    if args.governance == "redis":
        redis_port = free_port()
        redis = start(
            ["redis-server", "--port", str(redis_port), "--bind", HOST, "--save", "", "--appendonly", "no"]
        )
        wait_for_port(redis_port)
        env["REDIS_URL"] = f"redis://{HOST}:{redis_port}/0"
    env.update(dict(item.split("=", 1) for item in args.extra_env))
    gateway = start([sys.executable, "-m", "mcp_llm", "--port", str(gateway_port)], env)
    rows: list[dict[str, Any]] = []
    try:
        wait_for_port(gateway_port)
        for latency_ms in LEVELS:
            upstream = start(
                [
                    sys.executable,
                    "-m",
                    "bench.fake_upstream",
                    "--port",
                    str(upstream_port),
                    "--latency-ms",
                    str(latency_ms),
                ]
            )
            try:
                wait_for_port(upstream_port)
                rows += asyncio.run(
                    measure(upstream_port, gateway_port, latency_ms, args.scale, model, headers)
                )
            finally:
                upstream.terminate()
                upstream.wait(timeout=10)
    finally:
        gateway.terminate()
        gateway.wait(timeout=10)
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)
    print_table(rows)
    RESULTS.parent.mkdir(exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous[label] = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "rows": rows,
    }
    RESULTS.write_text(json.dumps(previous, indent=2) + "\n")


if __name__ == "__main__":
    main()

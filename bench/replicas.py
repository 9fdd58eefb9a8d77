"""Many short debates at once: two mcp-debate replicas on PostgreSQL beside one process on SQLite.

Starts mcp-llm (offline mock provider, no added latency), then for each setup a fresh database and
the mcp-debate process(es) on free ports:

- ``sqlite``: one mcp-debate on a fresh SQLite file (the embedded default);
- ``postgres``: a private PostgreSQL server (Debian's ``postgresql`` binaries, as the tests start it)
  and two mcp-debate replicas sharing it, each debate driven through the replica its index picks.

Every debate (two debaters, one round: two turns) is driven by its own task calling the HTTP mirror of
``get_next_turn`` until its turns are taken, all at once. Reports turns per second, errors, the turn
latency percentiles seen by the caller (the mock answers at once, so this is what mcp-debate adds, the
hop to mcp-llm included), and checks the database holds exactly two turns per debate.

Prints a table and writes ``bench/results/replicas.json``.
Run with ``uv run python -m bench.replicas [--debates 1000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.debate_overhead import free_port, summary, wait_healthy
from tests.postgres import PostgresServer

RESULTS = Path(__file__).parent / "results" / "replicas.json"
TURNS_PER_DEBATE = 2


@contextmanager
def service(args: list[str], env: dict[str, str]) -> Iterator[str]:
    """A service process on a free port, stopped by its PID when the block ends."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", *args, "--port", str(port)],
        env={**os.environ, "LOG_LEVEL": "WARNING", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, timeout=120)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def debate_args(i: int) -> dict[str, Any]:
    def person(name: str) -> dict[str, Any]:
        return {"name": name, "llm_config": {"provider": "mock", "model": "mock-1"}}

    return {
        "name": f"load {i}",
        "topic": f"Should cities ban private cars from their centres? ({i})",
        "participants": [person("Pro"), person("Con")],
        "max_rounds": 1,
    }


async def drive(replicas: list[str], debates: int) -> dict[str, Any]:
    # A fresh connection per call: a kept-alive one the server closes just as a call goes out fails that
    # call with ReadError (a race of the client's, not an error of the service), and calls are not retried.
    limits = httpx.Limits(max_connections=debates + 10, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(300)) as http:
        creating = asyncio.Semaphore(50)

        async def create(i: int) -> str:
            async with creating:
                response = await http.post(
                    f"{replicas[i % len(replicas)]}/tools/create_debate", json=debate_args(i)
                )
                response.raise_for_status()
                return str(response.json()["id"])

        ids = await asyncio.gather(*(create(i) for i in range(debates)))
        latencies: list[float] = []
        errors: list[str] = []

        async def run(i: int, debate_id: str) -> None:
            url = f"{replicas[i % len(replicas)]}/tools/get_next_turn"
            for _ in range(TURNS_PER_DEBATE):
                started = time.perf_counter()
                try:
                    response = await http.post(url, json={"debate_id": debate_id})
                except httpx.HTTPError as exc:
                    errors.append(type(exc).__name__)
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    errors.append(response.text[:200])

        started = time.perf_counter()
        await asyncio.gather(*(run(i, d) for i, d in enumerate(ids)))
        wall = time.perf_counter() - started
    return {
        "debates": debates,
        "turns": len(latencies) - len(errors),
        "errors": len(errors),
        "first_errors": errors[:3],
        "seconds": round(wall, 1),
        "turns_per_s": round((len(latencies) - len(errors)) / wall, 1),
        "turn_ms": summary(latencies) if latencies else {},
    }


def stored_sqlite(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM messages WHERE kind = 'turn'").fetchone()[0])


async def stored_postgres(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT COUNT(*) FROM messages WHERE kind = 'turn'"))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--debates", type=int, default=1000)
    parser.add_argument("--setups", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    args = parser.parse_args()
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    with tempfile.TemporaryDirectory(prefix="bench-replicas-") as folder, ExitStack() as stack:
        llm = stack.enter_context(service(["mcp_llm"], {}))
        for setup in args.setups:
            with ExitStack() as inner:
                if setup == "sqlite":
                    path = Path(folder) / "bench.db"
                    urls = [inner.enter_context(service(["mcp_debate", "serve"], {
                        "LLM_SERVICE_URL": llm, "DATABASE_PATH": str(path)}))]  # fmt: skip
                    figures = asyncio.run(drive(urls, args.debates))
                    figures["stored_turns"] = stored_sqlite(path)
                else:
                    server = PostgresServer().start()
                    inner.callback(server.stop)
                    database = server.create_database()
                    env = {"LLM_SERVICE_URL": llm, "DATABASE_URL": database}
                    urls = [inner.enter_context(service(["mcp_debate", "serve"], env)) for _ in range(2)]
                    figures = asyncio.run(drive(urls, args.debates))
                    figures["stored_turns"] = asyncio.run(stored_postgres(database))
                figures["replicas"] = len(urls)
                results[setup] = figures
                print(setup, json.dumps(figures), flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    header = ("setup", "replicas", "debates", "turns/s", "p50 ms", "p99 ms", "errors")
    print(f"{header[0]:10} " + " ".join(f"{h:>8}" for h in header[1:]))
    for setup in args.setups:
        f = results[setup]
        print(
            f"{setup:10} {f['replicas']:>8} {f['debates']:>8} {f['turns_per_s']:>8} "
            f"{f['turn_ms'].get('p50', '-'):>8} {f['turn_ms'].get('p99', '-'):>8} {f['errors']:>8}"
        )


if __name__ == "__main__":
    main()

"""A lean closed-loop load generator: N requests at concurrency C over kept-alive HTTP/1.1 connections.

A bare asyncio client (no HTTP library) keeps the generator's own cost per request small; the same
client measures the direct baseline, so what remains after subtraction is what the server under test adds.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """Latencies in milliseconds of one run, and its throughput."""

    latencies: list[float]
    seconds: float
    errors: int

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds


class RawHTTPConnection:
    """One kept-alive HTTP/1.1 connection that sends a fixed request and reads one response."""

    def __init__(self, host: str, port: int, request: bytes) -> None:
        self.host, self.port, self.request = host, port, request
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self) -> int:
        try:
            return await self._call()
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.close()
            raise

    async def _call(self) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        chunked = False
        for line in head.split(b"\r\n"):
            lowered = line.lower()
            if lowered.startswith(b"content-length:"):
                length = int(line[15:])
            elif lowered.startswith(b"transfer-encoding:") and b"chunked" in lowered:
                chunked = True
        if length is not None:
            await self.reader.readexactly(length)
        elif chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def post_request(
    host: str, port: int, path: str, body: bytes, headers: dict[str, str] | None = None
) -> bytes:
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    return (
        f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-type: application/json\r\n{extra}"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body


async def run_load(
    make_call: Callable[[], Callable[[], Awaitable[bool]]], total: int, concurrency: int, warmup: int = 50
) -> Result:
    """``make_call`` builds one worker's call (own connection); each call returns whether it succeeded."""
    calls = [make_call() for _ in range(concurrency)]
    for call in calls:  # open connections and warm caches outside the measurement
        for _ in range(max(1, warmup // concurrency)):
            with contextlib.suppress(OSError, asyncio.IncompleteReadError, ValueError):
                await call()
    latencies: list[float] = []
    errors = 0
    remaining = total

    async def worker(call: Callable[[], Awaitable[bool]]) -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            try:
                ok = await call()
            except (OSError, asyncio.IncompleteReadError, ValueError):
                ok = False  # the connection is reopened by the next call
            latencies.append((time.perf_counter() - started) * 1000)
            errors += not ok

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in calls))
    return Result(latencies, time.perf_counter() - started, errors)


class StreamingConnection(RawHTTPConnection):
    """A kept-alive connection whose answer is read chunk by chunk, timing the first body bytes."""

    ttfts: list[float]

    def __init__(self, host: str, port: int, request: bytes, ttfts: list[float]) -> None:
        super().__init__(host, port, request)
        self.ttfts = ttfts

    async def _call(self) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        started = time.perf_counter()
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lowered = head.lower()
        if b"transfer-encoding: chunked" in lowered:
            first = True
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                await self.reader.readexactly(size + 2)
                if first and size:
                    self.ttfts.append((time.perf_counter() - started) * 1000)
                    first = False
                if size == 0:
                    break
        else:
            length = int(lowered.split(b"content-length:")[1].split(b"\r\n")[0])
            await self.reader.readexactly(length)
            self.ttfts.append((time.perf_counter() - started) * 1000)
        return status

"""What feedback needs remembered: whose each request was, and running totals per variant and metric.

Every kept thing is bounded: request records and episodes expire after ``ttl`` (and in memory the
oldest go first past ``max_requests``), latency and cost samples keep the last ``SAMPLES`` per
variant, and feedback is kept as running totals (count, sum, sum of squares), which is all the
report's statistics need. Redis when configured (survives restarts, shared by replicas), memory
otherwise.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict, deque
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

from pydantic import BaseModel

from mcp_llm.state.redis_link import RedisLink

if TYPE_CHECKING:
    from redis.asyncio import Redis

SAMPLES = 2_000
"""Latency and cost samples kept per variant for the report's percentiles."""


class RequestRecord(BaseModel):
    """Whose a request was and what answered it, kept so feedback can name it later."""

    request_id: str
    organization: str
    provider: str
    model: str
    episode_id: str | None = None
    experiment: str | None = None
    variant: str | None = None
    latency_ms: float = 0.0
    cost_usd: float = 0.0


class Totals(BaseModel):
    """Running totals of one metric's values for one variant."""

    n: int = 0
    total: float = 0.0
    squares: float = 0.0

    def add(self, value: float) -> None:
        self.n += 1
        self.total += value
        self.squares += value * value


class VariantStats(BaseModel):
    """Everything the report reads about one variant."""

    requests: int = 0
    latencies_ms: list[float] = []
    costs_usd: list[float] = []
    metrics: dict[str, Totals] = {}


class FeedbackStore(Protocol):
    name: str

    async def remember(self, record: RequestRecord) -> None: ...
    async def request(self, request_id: str) -> RequestRecord | None: ...
    async def episode(self, organization: str, episode_id: str) -> dict[str, str]:
        """The experiments the organization's episode joined: ``{experiment: variant}``."""
        ...

    async def claim(self, organization: str, subject: str, metric: str) -> bool:
        """True the first time ``subject`` (a request or an episode) is rated on ``metric``: one value
        each, so a repeated post cannot weigh one answer many times in the statistics."""
        ...

    async def add(self, experiment: str, variant: str, metric: str, value: float) -> None: ...
    async def stats(self, experiment: str, variants: list[str]) -> dict[str, VariantStats]: ...


class MemoryFeedback:
    """In-process: lost on restart, bounded by count."""

    name = "memory"

    def __init__(self, max_requests: int) -> None:
        self._max = max_requests
        self._requests: OrderedDict[str, RequestRecord] = OrderedDict()
        self._episodes: OrderedDict[tuple[str, str], dict[str, str]] = OrderedDict()
        self._counts: defaultdict[tuple[str, str], int] = defaultdict(int)
        self._latencies: defaultdict[tuple[str, str], deque[float]] = defaultdict(
            lambda: deque(maxlen=SAMPLES)
        )
        self._costs: defaultdict[tuple[str, str], deque[float]] = defaultdict(lambda: deque(maxlen=SAMPLES))
        self._totals: defaultdict[tuple[str, str, str], Totals] = defaultdict(Totals)
        self._claimed: OrderedDict[tuple[str, str, str], None] = OrderedDict()

    async def remember(self, record: RequestRecord) -> None:
        self._requests[record.request_id] = record
        while len(self._requests) > self._max:
            self._requests.popitem(last=False)
        if record.experiment is None or record.variant is None:
            return
        arm = (record.experiment, record.variant)
        self._counts[arm] += 1
        self._latencies[arm].append(record.latency_ms)
        self._costs[arm].append(record.cost_usd)
        if record.episode_id is not None:
            key = (record.organization, record.episode_id)
            self._episodes.setdefault(key, {})[record.experiment] = record.variant
            self._episodes.move_to_end(key)
            while len(self._episodes) > self._max:
                self._episodes.popitem(last=False)

    async def request(self, request_id: str) -> RequestRecord | None:
        return self._requests.get(request_id)

    async def episode(self, organization: str, episode_id: str) -> dict[str, str]:
        return dict(self._episodes.get((organization, episode_id), {}))

    async def claim(self, organization: str, subject: str, metric: str) -> bool:
        key = (organization, subject, metric)
        if key in self._claimed:
            return False
        self._claimed[key] = None
        while len(self._claimed) > self._max:
            self._claimed.popitem(last=False)
        return True

    async def add(self, experiment: str, variant: str, metric: str, value: float) -> None:
        self._totals[(experiment, variant, metric)].add(value)

    async def stats(self, experiment: str, variants: list[str]) -> dict[str, VariantStats]:
        return {
            v: VariantStats(
                requests=self._counts[(experiment, v)],
                latencies_ms=list(self._latencies[(experiment, v)]),
                costs_usd=list(self._costs[(experiment, v)]),
                metrics={
                    m: t.model_copy() for (e, vv, m), t in self._totals.items() if e == experiment and vv == v
                },
            )
            for v in variants
        }


def _q(part: str) -> str:
    return quote(part, safe="")


class RedisFeedback:
    """``llm-fb-req:{id}`` (a record, expiring), ``llm-fb-ep:{org}:{episode}`` (a hash, expiring),
    per variant ``llm-fb-arm:{exp}:{variant}`` (request count and feedback totals, a hash) and two
    capped lists of latency and cost samples."""

    name = "redis"

    def __init__(self, link: RedisLink, ttl: int) -> None:
        self._link = link
        self._ttl = ttl

    @staticmethod
    def _arm(experiment: str, variant: str) -> str:
        return f"llm-fb-arm:{_q(experiment)}:{_q(variant)}"

    async def remember(self, record: RequestRecord) -> None:
        async def write(client: Redis) -> None:
            pipe = client.pipeline(transaction=False)
            pipe.set(f"llm-fb-req:{_q(record.request_id)}", record.model_dump_json(), ex=self._ttl)
            if record.experiment is not None and record.variant is not None:
                arm = self._arm(record.experiment, record.variant)
                pipe.hincrby(arm, "requests", 1)
                for kind, value in (("lat", record.latency_ms), ("cost", record.cost_usd)):
                    pipe.lpush(f"{arm}:{kind}", value)
                    pipe.ltrim(f"{arm}:{kind}", 0, SAMPLES - 1)
                if record.episode_id is not None:
                    key = f"llm-fb-ep:{_q(record.organization)}:{_q(record.episode_id)}"
                    pipe.hset(key, record.experiment, record.variant)
                    pipe.expire(key, self._ttl)
            await pipe.execute()

        await self._link.run(write, None)

    async def request(self, request_id: str) -> RequestRecord | None:
        async def read(client: Redis) -> bytes | str | None:
            raw: bytes | str | None = await client.get(f"llm-fb-req:{_q(request_id)}")
            return raw

        raw = await self._link.run_strict(read)
        return RequestRecord.model_validate_json(raw) if raw else None

    async def episode(self, organization: str, episode_id: str) -> dict[str, str]:
        async def read(client: Redis) -> dict[bytes | str, bytes | str]:
            found: dict[bytes | str, bytes | str] = await client.hgetall(
                f"llm-fb-ep:{_q(organization)}:{_q(episode_id)}"
            )
            return found

        found = await self._link.run_strict(read)
        return {_text(k): _text(v) for k, v in found.items()}

    async def claim(self, organization: str, subject: str, metric: str) -> bool:
        async def set_once(client: Redis) -> bool:
            key = f"llm-fb-rated:{_q(organization)}:{_q(subject)}:{_q(metric)}"
            return bool(await client.set(key, 1, nx=True, ex=self._ttl))

        return await self._link.run_strict(set_once)

    async def add(self, experiment: str, variant: str, metric: str, value: float) -> None:
        async def write(client: Redis) -> None:
            arm = self._arm(experiment, variant)
            pipe = client.pipeline(transaction=True)
            pipe.hincrby(arm, f"n:{metric}", 1)
            pipe.hincrbyfloat(arm, f"sum:{metric}", value)
            pipe.hincrbyfloat(arm, f"sq:{metric}", value * value)
            await pipe.execute()

        await self._link.run_strict(write)

    async def stats(self, experiment: str, variants: list[str]) -> dict[str, VariantStats]:
        async def read(client: Redis) -> list[object]:
            pipe = client.pipeline(transaction=False)
            for v in variants:
                arm = self._arm(experiment, v)
                pipe.hgetall(arm)
                pipe.lrange(f"{arm}:lat", 0, -1)
                pipe.lrange(f"{arm}:cost", 0, -1)
            result: list[object] = await pipe.execute()
            return result

        raw = await self._link.run_strict(read)
        out: dict[str, VariantStats] = {}
        for i, v in enumerate(variants):
            fields = {_text(k): _text(x) for k, x in raw[3 * i].items()}  # type: ignore[attr-defined]
            metrics: dict[str, Totals] = {}
            for key, value in fields.items():
                if key.startswith("n:"):
                    name = key[2:]
                    metrics[name] = Totals(
                        n=int(value),
                        total=float(fields.get(f"sum:{name}", 0)),
                        squares=float(fields.get(f"sq:{name}", 0)),
                    )
            out[v] = VariantStats(
                requests=int(fields.get("requests", 0)),
                latencies_ms=[float(x) for x in raw[3 * i + 1]],  # type: ignore[attr-defined]
                costs_usd=[float(x) for x in raw[3 * i + 2]],  # type: ignore[attr-defined]
                metrics=metrics,
            )
        return out


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value

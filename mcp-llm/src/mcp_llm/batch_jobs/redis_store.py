"""Batch jobs in Redis, shared by every replica: imported only when ``REDIS_URL`` is set."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from mcp_llm.batch_jobs.model import BatchJob
from mcp_llm.state.redis_link import RedisLink
from mcp_shared.errors import ProviderUnavailableError

T = TypeVar("T")


def _job_key(job_id: str) -> str:
    return f"batchjob:{job_id}"


def _active_key(organization: str) -> str:
    return f"batchjobs:active:{{{organization}}}"


DUE_KEY = "batchjobs:due"
"""A sorted set of unfinished job ids scored by their next poll time."""

_CREATE = """
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'final', '0')
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[4])
return 1
"""
_SAVE = """
if redis.call('HGET', KEYS[1], 'final') ~= '0' then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""
_FINISH = """
if redis.call('HGET', KEYS[1], 'final') ~= '0' then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'final', '1')
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
return 1
"""
_LEASE = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
"""


class RedisJobStore:
    """A hash per job (its JSON and whether it finished), a set of each organization's unfinished jobs,
    and one sorted set of unfinished jobs by next poll time; every check-and-write is one Lua script.

    Finished jobs are kept ``retention`` seconds. Unlike the cache, failures here are not papered over:
    a caller whose job cannot be stored or read gets ``provider_unavailable`` (503).
    """

    name = "redis"

    def __init__(self, link: RedisLink, retention: int = 30 * 86_400) -> None:
        self.link = link
        self.retention = retention

    async def start(self) -> None:
        return

    async def stop(self) -> None:
        return

    async def create(self, job: BatchJob, next_poll_at: float, max_active: int) -> bool:
        keys = [_job_key(job.id), _active_key(job.organization), DUE_KEY]
        args: list[str | int | float] = [job.model_dump_json(), next_poll_at, max_active, job.id]
        return bool(await self._eval(_CREATE, keys, args))

    async def get(self, job_id: str) -> BatchJob | None:
        async def run(client: Redis) -> bytes | str | None:
            return await client.hget(_job_key(job_id), "data")  # type: ignore[no-any-return,misc]

        raw = await self._strict(run)
        return BatchJob.model_validate_json(raw) if raw else None

    async def save(self, job: BatchJob, next_poll_at: float) -> bool:
        args: list[str | int | float] = [job.model_dump_json(), next_poll_at, job.id]
        return bool(await self._eval(_SAVE, [_job_key(job.id), DUE_KEY], args))

    async def finish(self, job: BatchJob) -> bool:
        keys = [_job_key(job.id), _active_key(job.organization), DUE_KEY]
        won = bool(await self._eval(_FINISH, keys, [job.model_dump_json(), job.id]))
        if won:
            await self._strict(lambda c: c.expire(_job_key(job.id), self.retention))
        return won

    async def delete(self, job_id: str) -> None:
        job = await self.get(job_id)

        async def run(client: Redis) -> None:
            async with client.pipeline(transaction=True) as pipe:
                pipe.delete(_job_key(job_id))
                pipe.zrem(DUE_KEY, job_id)
                if job is not None:
                    pipe.srem(_active_key(job.organization), job_id)
                await pipe.execute()

        await self._strict(run)

    async def due(self, now: float, limit: int) -> list[str]:
        """Nothing is due while Redis is down (the link logs the outage once); polling resumes after."""

        async def run(client: Redis) -> list[str]:
            found = await client.zrangebyscore(DUE_KEY, "-inf", now, start=0, num=limit)
            return [m.decode() if isinstance(m, bytes) else str(m) for m in found]

        return await self.link.run(run, [])

    async def lease(self, job_id: str, now: float, until: float) -> bool:
        return bool(await self._eval(_LEASE, [DUE_KEY], [job_id, now, until]))

    async def _strict(self, operation: Callable[[Redis], Awaitable[T]]) -> T:
        try:
            return await self.link.run_strict(operation)
        except (RedisError, OSError) as exc:
            raise ProviderUnavailableError(
                f"the batch job store is unavailable: {type(exc).__name__}", status=503
            ) from exc

    async def _eval(self, script: str, keys: list[str], args: list[str | int | float]) -> int:
        async def run(client: Redis) -> int:
            return int(await client.eval(script, len(keys), *keys, *args))  # type: ignore[misc]

        return await self._strict(run)

"""Which workers are alive: each beats into one sorted set; /health and stats count those whose
last beat is under WORKER_TTL seconds old (`Queue.depth_and_workers`)."""

from __future__ import annotations

import asyncio
import time

from arq.connections import ArqRedis
from loguru import logger
from redis.exceptions import RedisError

WORKERS = "oma:workers"  # sorted set: worker id -> last heartbeat (unix seconds)
WORKER_TTL = 30


async def beat(redis: ArqRedis, worker_id: str) -> None:
    """Beat every WORKER_TTL / 3 seconds until cancelled; forget workers long silent."""
    while True:
        try:
            await redis.zadd(WORKERS, {worker_id: time.time()})
            await redis.zremrangebyscore(WORKERS, "-inf", time.time() - 10 * WORKER_TTL)
        except RedisError as exc:
            # Redis is away; /health shows no worker until it is back and this beats again.
            logger.warning("heartbeat failed: {}", exc)
        await asyncio.sleep(WORKER_TTL / 3)

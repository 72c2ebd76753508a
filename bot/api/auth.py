"""Bearer keys and per-key request limits, checked before any API handler runs."""

from __future__ import annotations

import math
import time

from aiohttp import web
from redis.asyncio import Redis

from bot.api.errors import EXTRA_HEADERS, ApiError
from bot.api.keys import ApiKey, KeyStore
from bot.ratelimit import RateLimiter

UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="oma"'}


class Gate:
    """Who is asking (their key) and whether they may ask again so soon."""

    def __init__(self, redis: Redis, keys: KeyStore, per_minute: int, per_hour: int) -> None:
        self.redis, self.keys, self.per_minute = redis, keys, per_minute
        self.limiter = RateLimiter(redis, per_minute, per_hour)

    async def check(self, request: web.Request) -> ApiKey:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise ApiError(
                401,
                "unauthorized",
                "Send your API key as 'Authorization: Bearer <key>'.",
                headers=UNAUTHORIZED,
            )
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401,
                "unauthorized",
                "The Authorization header must read 'Bearer <key>'.",
                headers=UNAUTHORIZED,
            )
        key = await self.keys.verify(token.strip())
        if key is None:
            raise ApiError(
                401, "unauthorized", "This API key is not valid or was revoked.", headers=UNAUTHORIZED
            )
        identity = f"api:{key.id}"
        wait = await self.limiter.hit(identity)
        headers = await self._headers(identity, wait)
        request[EXTRA_HEADERS] = headers
        if wait:
            raise ApiError(
                429,
                "rate_limited",
                f"Too many requests for this key; try again in {int(wait)} s.",
                headers={**headers, "Retry-After": str(int(wait))},
            )
        return key

    async def _headers(self, identity: str, wait: float) -> dict[str, str]:
        """IETF RateLimit-* fields for the one-minute window (the one a client meets first)."""
        now, key = time.time(), f"oma:rate:{identity}"
        # How many in the window and the oldest of them, not the whole window: one round trip
        # whose size does not grow with the limit.
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcount(key, now - 60, "+inf")
            pipe.zrangebyscore(key, now - 60, "+inf", start=0, num=1, withscores=True)
            count, oldest = await pipe.execute()
        remaining = max(0, self.per_minute - count)
        reset = wait or (math.ceil(oldest[0][1] + 60 - now) if oldest else 0)
        return {
            "RateLimit-Limit": str(self.per_minute),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(max(0, int(reset))),
            "RateLimit-Policy": f"{self.per_minute};w=60",
        }

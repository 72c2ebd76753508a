"""Per-user generation limits: sliding windows, checked and counted atomically in Redis."""

from __future__ import annotations

import math
import time
import uuid

from redis.asyncio import Redis

# One sorted set per user holds the times of their admitted requests (the last hour's). Every
# window is checked before the request is counted, in one script, so concurrent requests can
# never together pass a limit. A refused request returns how long until the oldest request
# that fills its window leaves it: the real wait, not the rest of a calendar minute.
_SCRIPT = """
local now = tonumber(ARGV[1])
local longest = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
local wait = 0
for i = 4, #ARGV, 2 do
  local window, limit = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local since = '(' .. (now - window)
  local count = redis.call('ZCOUNT', KEYS[1], since, '+inf')
  if count >= limit then
    -- Only the request whose leaving frees a place is read: O(log n), whatever the limits.
    local at = redis.call('ZRANGEBYSCORE', KEYS[1], since, '+inf', 'WITHSCORES', 'LIMIT', count - limit, 1)
    local frees = tonumber(at[2]) + window - now
    if frees > wait then wait = frees end
  end
end
if wait > 0 then return tostring(wait) end
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('EXPIRE', KEYS[1], math.ceil(longest))
return '0'
"""


class RateLimiter:
    """At most `per_minute` requests in any 60 s and `per_hour` in any 3,600 s, per user."""

    def __init__(self, redis: Redis, per_minute: int, per_hour: int) -> None:
        self.redis = redis
        self.windows = [(60, per_minute), (3600, per_hour)]
        self._script = redis.register_script(_SCRIPT)

    async def hit(self, user: str, now: float | None = None) -> float:
        """Count one request; 0 if allowed, else the whole seconds until one would be."""
        now = time.time() if now is None else now
        args: list[float | str] = [now, uuid.uuid4().hex, max(w for w, _ in self.windows)]
        for window, limit in self.windows:
            args += [window, limit]
        wait = float(await self._script(keys=[f"oma:rate:{user}"], args=args))
        return float(math.ceil(wait)) if wait > 0 else 0.0

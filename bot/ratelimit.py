"""Per-user generation limits, checked and counted atomically in Redis."""

from __future__ import annotations

import time

from redis.asyncio import Redis

# Both windows are checked before either is counted, in one atomic script.
_SCRIPT = """
local now = tonumber(ARGV[1])
for i = 1, #KEYS do
  local limit = tonumber(ARGV[1 + 2 * i - 1])
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  if count >= limit then
    return {i, redis.call('TTL', KEYS[i])}
  end
end
for i = 1, #KEYS do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('EXPIRE', KEYS[i], tonumber(ARGV[1 + 2 * i])) end
end
return {0, 0}
"""


class RateLimiter:
    """Fixed-window limits: `per_minute` and `per_hour` requests for each user."""

    def __init__(self, redis: Redis, per_minute: int, per_hour: int) -> None:
        self.redis = redis
        self.windows = [(60, per_minute), (3600, per_hour)]
        self._script = redis.register_script(_SCRIPT)

    async def hit(self, user: str) -> float:
        """Count one request; 0 if allowed, else the seconds to wait."""
        now = int(time.time())
        keys = [f"oma:rate:{user}:{w}:{now // w}" for w, _ in self.windows]
        args: list[int] = [now]
        for window, limit in self.windows:
            args += [limit, window]
        blocked, ttl = await self._script(keys=keys, args=args)
        if not blocked:
            return 0.0
        window = self.windows[int(blocked) - 1][0]
        return float(ttl if ttl and ttl > 0 else window - now % window)

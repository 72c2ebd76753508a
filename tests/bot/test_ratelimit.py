"""The per-user limit is a sliding window: never more than N in any 60 s, and the wait is real."""

from __future__ import annotations

import asyncio

from bot.ratelimit import RateLimiter


async def test_a_burst_across_a_minute_boundary_gets_only_the_limit(redis) -> None:
    limiter = RateLimiter(redis, per_minute=5, per_hour=100)
    # Five just before a calendar minute ends, five just after: a fixed window admits all ten.
    start = 1_800_000_000 - 2.0  # 2 s before a minute boundary
    first = [await limiter.hit("U1", now=start + i * 0.1) for i in range(5)]
    second = [await limiter.hit("U1", now=start + 3 + i * 0.1) for i in range(5)]
    assert first == [0.0] * 5
    assert all(w > 0 for w in second)
    # The refusal names the real wait: the first request leaves the window 60 s after it came.
    assert second[0] == 57.0


async def test_the_window_slides_one_request_at_a_time(redis) -> None:
    limiter = RateLimiter(redis, per_minute=2, per_hour=100)
    t = 1_800_000_000.0
    assert await limiter.hit("U2", now=t) == 0.0
    assert await limiter.hit("U2", now=t + 10) == 0.0
    assert await limiter.hit("U2", now=t + 59) == 1.0
    assert await limiter.hit("U2", now=t + 60.5) == 0.0  # the first left the window
    assert await limiter.hit("U2", now=t + 61) == 9.0  # the second leaves at t + 70
    assert await limiter.hit("U3", now=t + 61) == 0.0  # other users are counted apart


async def test_the_hour_limit_holds_in_any_hour(redis) -> None:
    limiter = RateLimiter(redis, per_minute=100, per_hour=3)
    t = 1_800_000_000.0
    for minute in range(3):
        assert await limiter.hit("U4", now=t + minute * 600) == 0.0
    assert await limiter.hit("U4", now=t + 1800) == 1800.0
    assert await limiter.hit("U4", now=t + 3600.5) == 0.0


async def test_concurrent_requests_never_pass_the_limit_together(redis) -> None:
    limiter = RateLimiter(redis, per_minute=5, per_hour=100)
    waits = await asyncio.gather(*(limiter.hit("U5") for _ in range(50)))
    assert sum(1 for w in waits if w == 0) == 5
    assert all(0 < w <= 60 for w in waits if w)

"""The token bucket, with a clock the test turns."""

from __future__ import annotations

from uuid import uuid4

from app.auth.ratelimit import RateLimiter


def test_bucket_refills_over_time() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, clock=lambda: now[0])
    key = uuid4()
    assert all(limiter.acquire(key) is None for _ in range(60))
    assert limiter.acquire(key) == 1
    now[0] += 1.0
    assert limiter.acquire(key) is None
    assert limiter.acquire(key) == 1


def test_zero_disables() -> None:
    limiter = RateLimiter(per_minute=0)
    assert all(limiter.acquire(uuid4()) is None for _ in range(1000))

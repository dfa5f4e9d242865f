"""The token bucket, with a clock the test turns."""

from __future__ import annotations

from uuid import uuid4

import pytest

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


def test_full_buckets_are_dropped_when_there_are_many(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.auth import ratelimit

    monkeypatch.setattr(ratelimit, "PRUNE_ABOVE", 100)
    now = [0.0]
    limiter = RateLimiter(per_minute=60, clock=lambda: now[0])
    for address in range(100):
        limiter.acquire(f"198.51.100.{address}")
    now[0] += 61.0  # all of them refilled
    limiter.acquire("203.0.113.1")
    assert len(limiter) == 1


def test_client_addresses() -> None:
    from app.auth.ratelimit import client_address

    assert client_address("203.0.113.7") == "203.0.113.7"
    assert client_address("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_address("2001:db8::1") == client_address("2001:db8::ffff") == "2001:db8::/64"
    assert client_address(None) == "unknown"

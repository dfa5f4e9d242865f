"""Per-key rate limiting: a token bucket per API key, refilled continuously.

The bucket holds a minute's allowance, so a key may burst up to the limit and then
proceeds at limit/60 requests a second. Buckets live in the process: behind several
processes each enforces the limit on its own share of the traffic.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    per_minute: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[UUID, _Bucket] = field(default_factory=dict)

    def acquire(self, key_id: UUID) -> int | None:
        """Take one request from the key's bucket; None if allowed, else seconds to wait."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        rate = self.per_minute / 60.0
        bucket = self._buckets.get(key_id)
        if bucket is None:
            bucket = self._buckets[key_id] = _Bucket(tokens=float(self.per_minute), updated=now)
        bucket.tokens = min(float(self.per_minute), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - bucket.tokens) / rate))

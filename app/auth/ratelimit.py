"""Rate limiting: a token bucket per API key, and per client address for requests without
a key, refilled continuously.

The bucket holds a minute's allowance, so a caller may burst up to the limit and then
proceeds at limit/60 requests a second. Buckets live in the process: behind several
processes each enforces the limit on its own share of the traffic. A bucket that has
refilled is the same as no bucket, so those are dropped once there are many: a flood of
new addresses cannot grow the process without bound.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

PRUNE_ABOVE = 50_000  # buckets; beyond this the full ones are dropped


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    per_minute: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[Hashable, _Bucket] = field(default_factory=dict)

    def acquire(self, key: Hashable) -> int | None:
        """Take one request from the caller's bucket (an API key's id, or a client address);
        None if allowed, else the seconds to wait."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        rate = self.per_minute / 60.0
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= PRUNE_ABOVE:
                self._prune(now)
            bucket = self._buckets[key] = _Bucket(tokens=float(self.per_minute), updated=now)
        bucket.tokens = min(float(self.per_minute), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - bucket.tokens) / rate))

    def exhausted(self, key: Hashable) -> int | None:
        """Whether the caller's bucket is empty, without taking from it: None if not, else
        the seconds to wait."""
        bucket = self._buckets.get(key)
        if self.per_minute <= 0 or bucket is None:
            return None
        rate = self.per_minute / 60.0
        tokens = min(float(self.per_minute), bucket.tokens + (self.clock() - bucket.updated) * rate)
        return None if tokens >= 1.0 else max(1, math.ceil((1.0 - tokens) / rate))

    def _prune(self, now: float) -> None:
        """Drop the buckets that have refilled (a minute untouched): they hold nothing."""
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < 60.0}

    def __len__(self) -> int:
        return len(self._buckets)


def client_address(host: str | None) -> str:
    """The bucket of a client without a key: its IPv4 address, or the /64 of its IPv6 one
    (a single host usually holds a whole /64)."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@dataclass
class AddressLimits:
    """What callers without a working key may do, by client address (`client_address`):
    requests with no key take from `anonymous`; each request whose key was refused (401)
    takes from `failed_keys`, and while that is empty the address's keyed requests are
    answered 429 before any key is looked up (guessing keys costs the guesser, not us)."""

    anonymous: RateLimiter
    failed_keys: RateLimiter

    @classmethod
    def per_minute(cls, limit: int) -> AddressLimits:
        return cls(RateLimiter(limit), RateLimiter(limit))

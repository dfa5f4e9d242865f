"""Rate limits shared by all processes on one database: a bucket per API key, exact, and a
bucket per client address for callers without a working key, spent through leases.

Every bucket is a row of the UNLOGGED table `rate_limit_bucket` (GCRA: the row holds the
bucket's "theoretical arrival time" `tat`), taken from by the database function
`rate_limit_take` (migration `2026-11-30_02_shared_rate_limits`). A bucket of N a minute
holds N and refills one every `emission` = ⌈60 s / N⌉ (to the microsecond, so refilling
never outpaces N a minute): a caller may burst N requests, then one every `emission`.

**API keys** (`Rate`): every keyed request takes one token in the statement that looks
its key up (app/auth/repository.py `principal_on`, and the trade committer's
`principals_taking`), so authenticating and limiting cost one round trip, and
the limit is exact: a key of N a minute gets N a minute however many processes serve it.

**Addresses** (`LeasedLimiter`): a statement for every anonymous read would double the
cost of the cheapest requests, so each process takes a *lease* of up to `lease_size(N)` = L
tokens from the address's shared bucket in one statement, and spends them in memory. A
lease lives `L × emission` (`lifetime`); the next take gives back what an expired lease
left unspent, in the same statement. While the shared bucket is known to be empty (the
last take said until when), the process answers 429 without asking the database, so a
flood of refused requests costs no statement either. Error bound, with P processes: at any
moment each process holds at most L − 1 unspent tokens of an address (one take at a time
per address), so

- over: the requests admitted in any interval exceed what one bucket would admit by at most
  the tokens held when it began, P × (L − 1) (tokens are only ever spent once, and a
  lease's tokens were taken from the bucket before any of them is spent);
- under: a caller may be refused while up to P × (L − 1) of its tokens sit in other
  processes' leases, or in expired leases of processes it no longer calls (given back at
  their next take, else refilled within `lifetime`).

L = min(50, N // 20), at least 1: for N < 40 there are no leases at all (each request is
one exact take); at the default 300 a minute, L = 15 and a lease lives 3 s: a process
takes for an address once per 15 of its requests, and a caller slower than one request
per 3 s costs a statement per request (slow callers are cheap anyway).

Idle buckets (`tat` in the past: full, as good as none) are deleted by `prune_forever`, so
the table holds only the callers of the last two minutes; processes forget leases the
same way.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.db import Driver, driver_of

log = logging.getLogger("shushang.ratelimit")

PRUNE_ABOVE = 50_000  # leases a process keeps; beyond this the spent and expired go
PRUNE_EVERY_SECONDS = 60.0
MAX_LEASE = 50
MOST_PER_MINUTE = 60_000_000  # one a microsecond: timestamps count no finer

_TAKE = "SELECT granted, wait FROM rate_limit_take($1, $2, $3, $4, $5)"


@dataclass(frozen=True, slots=True)
class Rate:
    """N a minute as the database function takes it: a token every `emission`, `burst`
    (N tokens' worth of refill) to hold."""

    per_minute: int
    emission: timedelta
    burst: timedelta

    @classmethod
    def of(cls, per_minute: int) -> Rate | None:
        """None for a limit that is off (0 or less). Above one a microsecond (60 000 000 a
        minute) the bucket counts no finer: such a limit is one a microsecond."""
        if per_minute <= 0:
            return None
        per_minute = min(per_minute, MOST_PER_MINUTE)
        micros = -(-60_000_000 // per_minute)  # ceiling: never faster than N a minute
        return cls(
            per_minute, timedelta(microseconds=micros), timedelta(microseconds=micros * per_minute)
        )


def retry_after(wait: float) -> int:
    """The Retry-After of a wait in seconds: whole seconds, at least one."""
    return max(1, math.ceil(wait))


def key_bucket(key_id: object) -> str:
    return f"k:{key_id}"


async def take(
    raw: Driver, bucket: str, rate: Rate, wanted: int, returned: int
) -> tuple[int, float]:
    """Give back `returned` tokens to the shared bucket, then take up to `wanted`: how many
    were granted, and the seconds until the bucket next holds one (0: it does now)."""
    row = await raw.fetchrow(_TAKE, bucket, rate.emission, rate.burst, wanted, returned)
    return row["granted"], row["wait"]


def lease_size(per_minute: int) -> int:
    return max(1, min(MAX_LEASE, per_minute // 20))


@dataclass(slots=True)
class _Lease:
    tokens: int = 0  # unspent here
    expires: float = 0.0  # after which `tokens` may not be spent (given back at next take)
    empty_until: float = 0.0  # the shared bucket holds nothing until then (as last seen)
    taking: asyncio.Future[None] | None = None  # a take in flight: others wait for it


@dataclass
class LeasedLimiter:
    """An address's shared bucket, spent through per-process leases (see the module's
    docstring for the error bound). `prefix` keeps the kinds of bucket apart."""

    engine: AsyncEngine | None
    prefix: str
    per_minute: int
    clock: Callable[[], float] = time.monotonic
    _leases: dict[str, _Lease] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rate = Rate.of(self.per_minute)
        self.size = lease_size(self.per_minute)
        self.lifetime = self.size * self.rate.emission.total_seconds() if self.rate else 0.0

    async def acquire(self, address: str) -> int | None:
        """Spend one request of the address's allowance: None if allowed, else the seconds
        to wait (Retry-After)."""
        if self.rate is None or self.engine is None:
            return None
        while True:
            lease = self._leases.get(address)
            if lease is None:
                if len(self._leases) >= PRUNE_ABOVE:
                    self._prune()
                lease = self._leases[address] = _Lease()
            if lease.taking is not None:  # one take per address and process at a time
                await asyncio.shield(lease.taking)
                continue
            now = self.clock()
            if lease.tokens > 0 and now < lease.expires:
                lease.tokens -= 1
                return None
            if now < lease.empty_until:
                return retry_after(lease.empty_until - now)
            return await self._take(address, lease, now)

    async def _take(self, address: str, lease: _Lease, now: float) -> int | None:
        assert self.rate is not None and self.engine is not None
        returned, lease.tokens = lease.tokens, 0  # an expired lease's rest goes back
        lease.taking = asyncio.get_running_loop().create_future()
        try:
            async with self.engine.connect() as connection:
                raw = await driver_of(connection)
                granted, wait = await take(
                    raw, self.prefix + address, self.rate, self.size, returned
                )
        finally:
            lease.taking.set_result(None)
            lease.taking = None
        now = self.clock()  # the take's answer holds from when it came
        lease.empty_until = now + wait if wait > 0 else 0.0
        if granted == 0:
            return retry_after(wait)
        lease.tokens, lease.expires = granted - 1, now + self.lifetime
        return None

    def exhausted(self, address: str) -> int | None:
        """Whether the address's allowance is used up, as this process knows it, without
        taking from it or asking the database: None if not, else the seconds to wait."""
        lease = self._leases.get(address)
        if self.rate is None or lease is None:
            return None
        now = self.clock()
        if lease.tokens > 0 and now < lease.expires:
            return None
        return retry_after(lease.empty_until - now) if now < lease.empty_until else None

    def _prune(self) -> None:
        """Forget the leases that hold nothing spendable and know of no empty bucket (an
        expired lease's rest is lost: the caller may get less, never more)."""
        now = self.clock()
        self._leases = {
            address: lease
            for address, lease in self._leases.items()
            if lease.taking is not None
            or (lease.tokens > 0 and now < lease.expires)
            or now < lease.empty_until
        }

    def __len__(self) -> int:
        return len(self._leases)


@lru_cache(maxsize=4096)  # every request asks; parsing the address was 1.5 % of a trade's CPU
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
    answered 429 before any key is looked up (guessing keys costs the guesser, not us).
    A process learns that `failed_keys` is empty when it takes from it: another process's
    refusals block an address here at its first refused key here."""

    anonymous: LeasedLimiter
    failed_keys: LeasedLimiter

    @classmethod
    def per_minute(cls, engine: AsyncEngine | None, limit: int) -> AddressLimits:
        return cls(LeasedLimiter(engine, "a:", limit), LeasedLimiter(engine, "f:", limit))


_PRUNE = "DELETE FROM rate_limit_bucket WHERE tat < now()"


async def prune(engine: AsyncEngine) -> int:
    """Delete the buckets that have refilled (as good as none): how many."""
    async with engine.connect() as connection:
        raw = await driver_of(connection)
        status: str = await raw.execute(_PRUNE)
    return int(status.rsplit(" ", 1)[-1])


async def prune_forever(engine: AsyncEngine, every: float = PRUNE_EVERY_SECONDS) -> None:
    """Every process prunes now and then (cheap, and harmless when two do it at once): the
    table holds only the buckets of the last minute or so, however many callers come."""
    while True:
        await asyncio.sleep(every)
        try:
            await prune(engine)
        except Exception as exc:  # the database away: try again next time
            log.warning("pruning rate limit buckets failed: %s", type(exc).__name__)

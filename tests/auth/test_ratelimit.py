"""Rate limits shared through the database: the bucket function, keys (exact, with the key's
lookup) and addresses (leases), with two apps (two processes' engines) on one database."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core import ratelimit
from app.core.config import Settings
from app.core.db import driver_of
from app.core.ratelimit import (
    LeasedLimiter,
    Rate,
    client_address,
    key_bucket,
    lease_size,
    take,
)
from app.core.roles import Role
from app.core.tokens import hash_token
from tests.factories import auth, make_key
from tests.trades.conftest import Parties


def test_rates() -> None:
    assert Rate.of(0) is None
    assert Rate.of(-1) is None
    twenty = Rate.of(20)
    assert twenty is not None
    assert twenty.emission == timedelta(seconds=3)
    assert twenty.burst == timedelta(seconds=60)
    seven = Rate.of(7)  # 8.571428… s: rounded up, so refilling never beats 7 a minute
    assert seven is not None
    assert seven.emission == timedelta(microseconds=8_571_429)
    assert seven.burst == 7 * seven.emission
    assert [lease_size(n) for n in (1, 39, 40, 300, 600, 10_000)] == [1, 1, 2, 15, 30, 50]
    finest = Rate.of(10**12)
    assert finest is not None
    assert finest.emission == timedelta(microseconds=1)
    assert finest.burst == timedelta(seconds=60)


def test_client_addresses() -> None:
    assert client_address("203.0.113.7") == "203.0.113.7"
    assert client_address("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_address("2001:db8::1") == client_address("2001:db8::ffff") == "2001:db8::/64"
    assert client_address(None) == "unknown"


async def _take(
    engine: AsyncEngine, bucket: str, rate: Rate, wanted: int, returned: int = 0
) -> Any:
    async with engine.connect() as connection:
        return await take(await driver_of(connection), bucket, rate, wanted, returned)


async def test_the_bucket_function(app: FastAPI) -> None:
    engine = app.state.engine
    rate = Rate.of(60)
    assert rate is not None
    granted = [await _take(engine, "k:one", rate, 1) for _ in range(61)]
    assert [g for g, _ in granted] == [1] * 60 + [0]
    assert granted[0][1] == 0  # more left
    assert 0 < granted[-1][1] <= 1.0  # one a second comes back
    # Many at once: what is left, and no more; given back, they can be taken again.
    assert (await _take(engine, "a:two", rate, 50))[0] == 50
    assert (await _take(engine, "a:two", rate, 50))[0] == 10
    assert (await _take(engine, "a:two", rate, 0, returned=7))[0] == 0
    assert (await _take(engine, "a:two", rate, 50))[0] == 7
    # A bucket cannot be overfilled by giving back what it never gave.
    assert (await _take(engine, "a:three", rate, 0, returned=1000))[0] == 0
    assert (await _take(engine, "a:three", rate, 1000))[0] == 60


@pytest.fixture
async def two_apps(settings: Settings) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    """Two processes' worth of app (each its own engine and committer) on one database,
    with small limits."""
    from app.main import create_app

    limited = settings.model_copy(
        update={"rate_limit_per_minute": 5, "anonymous_rate_limit_per_minute": 200}
    )
    one, two = create_app(limited), create_app(limited)
    yield one, two
    for app in (one, two):
        await app.state.engine.dispose()


def _client(app: FastAPI, host: str = "203.0.113.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(host, 4000))
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def test_a_key_has_one_budget_across_processes(
    two_apps: tuple[FastAPI, FastAPI], session: AsyncSession
) -> None:
    key = auth(await make_key(session, Role.auditor))
    other = auth(await make_key(session, Role.auditor))
    async with _client(two_apps[0]) as one, _client(two_apps[1]) as two:
        started = time.monotonic()
        answers = [await client.get("/v1/merchants", headers=key) for client in (one, two) * 6]
        refill = int((time.monotonic() - started) // 12)  # a request every 12 s
        statuses = [a.status_code for a in answers]
        assert statuses.count(200) == 5 + refill
        assert statuses[:5] == [200] * 5
        limited = answers[-1]
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.json()["type"].endswith("rate-limited")
        assert 1 <= int(limited.headers["Retry-After"]) <= 12
        # Another key has its own budget; probes are never counted.
        assert (await two.get("/v1/merchants", headers=other)).status_code == 200
        assert (await one.get("/healthz", headers=key)).status_code == 200


async def test_trades_of_the_lane_and_reads_share_the_key_budget(
    two_apps: tuple[FastAPI, FastAPI], session: AsyncSession
) -> None:
    """The lane's requests are authenticated and limited by the committer, in one statement
    per batch: concurrent trades on two processes and a read share the key's 5."""
    async with _client(two_apps[0]) as one, _client(two_apps[1]) as two:
        parties = await Parties().setup(one, session)
        assert (await one.get("/v1/merchants", headers=parties.admin)).status_code == 200

        async def record(client: httpx.AsyncClient) -> int:
            answer = await client.post(
                "/v1/transactions",
                json=parties.body(),
                headers={**parties.admin, "Idempotency-Key": str(uuid.uuid4())},
            )
            if answer.status_code == 429:
                assert int(answer.headers["Retry-After"]) >= 1
            return answer.status_code

        statuses = await asyncio.gather(*(record(c) for c in (one, two) * 4))
        assert sorted(statuses) == [201] * 4 + [429] * 4
        assert (await session.execute(_count_trades())).scalar_one() == 4


def _count_trades() -> Any:
    from sqlalchemy import func, select

    from app.trades.models import Trade

    return select(func.count()).select_from(Trade)


async def test_addresses_share_one_budget_through_leases(app: FastAPI, settings: Settings) -> None:
    """Two processes' limiters on one address: together they admit the budget (plus what
    refills meanwhile), whichever process is asked, and a lease's unspent rest goes back."""
    now = [0.0]
    here, there = (
        LeasedLimiter(app.state.engine, "a:", 200, clock=lambda: now[0]) for _ in range(2)
    )
    assert here.size == 10
    started = time.monotonic()
    assert await here.acquire("198.51.100.1") is None  # a lease of 10: 9 left here
    admitted = 1
    while await there.acquire("198.51.100.1") is None:
        admitted += 1
    assert 190 <= admitted - 1 <= 190 + _refilled(started, 200)
    now[0] += here.lifetime  # here's lease expires; its 9 go back with the next take
    while await here.acquire("198.51.100.1") is None:
        admitted += 1
    assert 200 <= admitted <= 200 + _refilled(started, 200)


def _refilled(started: float, per_minute: int) -> int:
    return 1 + int((time.monotonic() - started) * per_minute / 60)


async def test_a_refused_address_costs_no_statement_until_its_wait_is_over(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[str] = []
    real_take = ratelimit.take

    async def counted(*args: Any) -> Any:
        taken.append(args[1])
        return await real_take(*args)

    monkeypatch.setattr(ratelimit, "take", counted)
    now = [0.0]
    limiter = LeasedLimiter(app.state.engine, "a:", 100, clock=lambda: now[0])
    assert limiter.size == 5
    started = time.monotonic()
    admitted = 0
    while (wait := await limiter.acquire("198.51.100.2")) is None:
        admitted += 1
    assert 100 <= admitted <= 100 + _refilled(started, 100)
    assert wait == 1  # one comes back every 0.6 s
    leases = len(taken)
    assert leases <= 22  # 20 leases of 5, and what refilled meanwhile
    refusals = [await limiter.acquire("198.51.100.2") for _ in range(50)]
    assert refusals == [1] * 50
    assert len(taken) == leases  # the database knows it is empty until then: not asked
    assert limiter.exhausted("198.51.100.2") == 1
    await asyncio.sleep(0.7)
    now[0] += 1.0
    assert await limiter.acquire("198.51.100.2") is None  # asks again, and gets one
    assert len(taken) == leases + 1


async def test_concurrent_requests_of_one_address_take_one_lease_at_a_time(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[str] = []
    real_take = ratelimit.take

    async def counted(*args: Any) -> Any:
        taken.append(args[1])
        return await real_take(*args)

    monkeypatch.setattr(ratelimit, "take", counted)
    limiter = LeasedLimiter(app.state.engine, "a:", 600)
    answers = await asyncio.gather(*(limiter.acquire("198.51.100.3") for _ in range(30)))
    assert answers == [None] * 30
    assert len(taken) == 1  # one lease of 30


async def test_off_is_no_statement_at_all(app: FastAPI) -> None:
    limiter = LeasedLimiter(None, "a:", 0)
    assert all([await limiter.acquire("198.51.100.4") is None for _ in range(100)])
    assert LeasedLimiter(app.state.engine, "a:", 0).exhausted("198.51.100.4") is None


async def test_leases_are_forgotten_when_there_are_many(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "PRUNE_ABOVE", 20)
    now = [0.0]
    limiter = LeasedLimiter(app.state.engine, "a:", 600, clock=lambda: now[0])
    for n in range(20):
        await limiter.acquire(f"198.51.100.{n}")
    now[0] += limiter.lifetime  # all of them expired
    await limiter.acquire("203.0.113.1")
    assert len(limiter) == 1


async def test_idle_buckets_are_pruned(app: FastAPI) -> None:
    engine = app.state.engine
    async with engine.connect() as connection:
        raw = await driver_of(connection)
        await raw.execute(
            "INSERT INTO rate_limit_bucket (key, tat) VALUES"
            " ('a:idle', now() - interval '1 second'), ('a:busy', now() + interval '1 minute')"
        )
    assert await ratelimit.prune(engine) == 1
    async with engine.connect() as connection:
        raw = await driver_of(connection)
        assert await raw.fetchval("SELECT array_agg(key) FROM rate_limit_bucket") == ["a:busy"]


async def test_the_committer_takes_once_per_key_for_its_whole_batch(
    app: FastAPI, session: AsyncSession
) -> None:
    """A batch's requests of one key take from its bucket in one call: the first ones get
    what it holds, the others a Retry-After; an unknown token takes nothing; a request is
    never taken for twice (a failed batch is retried one by one)."""
    from app.trades.recorder import GroupCommitter, Submission
    from app.trades.schemas import TradeCreate

    rate = Rate.of(3)
    assert rate is not None
    busy = await make_key(session, Role.operator)
    calm = await make_key(session, Role.operator)
    data = TradeCreate.model_validate(
        {
            "venue_code": "OTC",
            "on_venue": False,
            "seller_merchant_id": str(uuid.uuid4()),
            "buyer_merchant_id": str(uuid.uuid4()),
            "amount": "1.00",
            "contract_digest": "0" * 64,
            "occurred_at": "2026-11-20T10:00:00+08:00",
        }
    )

    def submission(token: str) -> Submission:
        return Submission(data, str(uuid.uuid4()), b"", hash_token(token), None)

    batch = [submission(busy) for _ in range(5)]
    batch.insert(2, submission(calm))
    batch.append(submission("shs_op_" + "x" * 40))
    async with app.state.engine.connect() as connection:
        raw = await driver_of(connection)
        await GroupCommitter._take(raw, batch, rate)
        busy_ones = [s for s in batch if s.token_hash == hash_token(busy)]
        assert [s.retry_after for s in busy_ones[:3]] == [None] * 3
        assert all(s.retry_after is not None and 1 <= s.retry_after <= 20 for s in busy_ones[3:])
        assert batch[2].caller is not None and batch[2].retry_after is None
        assert batch[-1].caller is None and batch[-1].taken
        await GroupCommitter._take(raw, batch, rate)  # all taken already: nothing again
        granted, _ = await take(raw, key_bucket(batch[2].caller.key_id), rate, 3, 0)
        assert granted == 2  # the calm key gave one, once


async def _revoked_key(session: AsyncSession, role: Role = Role.operator) -> dict[str, str]:
    from sqlalchemy import text

    token = await make_key(session, role)
    await session.execute(
        text("UPDATE api_key SET revoked_at = now() WHERE token_hash = :h"),
        {"h": hash_token(token)},
    )
    await session.commit()
    return auth(token)


def _not_keys(revoked: dict[str, str]) -> dict[str, dict[str, str]]:
    """Authorization headers that authenticate no live key, by the form of the finding."""
    return {
        "empty": {"Authorization": ""},
        "scheme only": {"Authorization": "Bearer"},
        "junk": auth("shs_junk"),
        "unknown": auth("shs_op_" + "x" * 43),
        "basic": {"Authorization": "Basic YWRtaW46YWRtaW4="},
        "revoked": revoked,
    }


# Public reads, a route of no router (the docs, their assets, the OpenAPI document), a path
# that does not exist, a verification page, a ledger tile and a write.
PUBLIC_PATHS = (
    "/v1/venues",
    "/v1/venues/HZDEX",
    "/v1/catalog",
    "/v1/merchants",
    "/v1/ledgers/OTC/checkpoint",
    "/v1/ledgers/OTC/tile/0/000",
    "/v1/certificates/NO-SUCH",
    "/verify/certificates/NO-SUCH",
    "/docs",
    "/openapi.json",
    "/docs-assets/swagger-ui.css",
    "/no/such/path",
)


async def test_a_header_that_authenticates_no_key_is_401_everywhere(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The finding: an empty `Authorization:`, `Bearer shs_junk` or a revoked key was served
    on public routes as if anonymous. Now a request carrying the header must authenticate a
    live key on every route, or it is 401 (problem+json, WWW-Authenticate); a working key
    is served; probes answer whatever is sent."""
    forms = _not_keys(await _revoked_key(session))
    good = auth(await make_key(session, Role.auditor))
    for path in PUBLIC_PATHS:
        served = await client.get(path)
        assert served.status_code != 401, path
        assert (await client.get(path, headers=good)).status_code == served.status_code, path
        for form, headers in forms.items():
            answer = await client.get(path, headers=headers)
            assert answer.status_code == 401, (path, form, answer.status_code)
            assert answer.headers["content-type"] == "application/problem+json", (path, form)
            assert answer.headers["www-authenticate"] == 'Bearer realm="shushang"'
            assert answer.json()["type"].endswith("unauthorized")
            head = await client.head(path, headers=headers)
            assert head.status_code == 401 and head.content == b"", (path, form)
    for probe in ("/healthz", "/readyz"):
        assert (await client.get(probe, headers=forms["junk"])).status_code == 200
    # A write with a revoked operator key: refused, nothing written.
    from sqlalchemy import func, select

    from app.venues.models import Venue

    before = (await session.execute(select(func.count()).select_from(Venue))).scalar_one()
    made = await client.post(
        "/v1/venues",
        json={"code": "EVIL", "name": "伪造交易所", "fee_rate": "0.001"},
        headers=forms["revoked"],
    )
    assert made.status_code == 401
    assert (await session.execute(select(func.count()).select_from(Venue))).scalar_one() == before


async def test_a_header_that_authenticates_no_key_does_not_skip_the_address_limit(
    settings: Settings, session: AsyncSession
) -> None:
    """The finding: 400 of 400 requests carrying an empty `Authorization:`, `Bearer
    shs_junk` or a revoked key were served, past the address limit. Now none is served:
    each is 401 and takes from the address's budget of refused keys, then 429; anonymous
    callers still have theirs, and a working key its own."""
    from app.main import create_app

    strict = create_app(settings.model_copy(update={"anonymous_rate_limit_per_minute": 2}))
    forms = _not_keys(await _revoked_key(session))
    good = auth(await make_key(session, Role.auditor))
    try:
        for n, (form, headers) in enumerate(forms.items()):
            async with _client(strict, f"198.51.100.{n + 1}") as guesser:
                for path in ("/v1/venues", "/v1/catalog", "/docs-assets/swagger-ui.css"):
                    statuses = [
                        (await guesser.get(path, headers=headers)).status_code for _ in range(2)
                    ]
                    assert 200 not in statuses and set(statuses) <= {401, 429}, (form, path)
                assert (await guesser.get("/v1/venues", headers=headers)).status_code == 429
                # The address's refused keys are used up: even a working key waits.
                assert (await guesser.get("/v1/venues", headers=good)).status_code == 429
        async with _client(strict, "198.51.100.99") as anonymous:
            statuses = [(await anonymous.get("/v1/venues")).status_code for _ in range(3)]
            assert statuses == [200, 200, 429]
            # A working key is limited per key, not per address.
            assert (await anonymous.get("/v1/venues", headers=good)).status_code == 200
    finally:
        await strict.state.engine.dispose()

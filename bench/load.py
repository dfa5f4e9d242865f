"""A mixed workload at rising concurrency, through the API and on raw asyncpg in the same run.

    .venv/bin/python -m bench.load [--seconds 10] [--clients 4,16,32] [--workers 2]
    .venv/bin/python -m bench.load --replica [--seconds 10] [--clients 4,16,32]

The demo catalog (35 merchants, 600 products, listings) is loaded once into its own
database. Each client loops over a weighted mix: 40 % catalog search (`GET /v1/products?q=`),
25 % the public listings, 15 % a merchant read with a key, 20 % a trade recorded
(`POST /v1/transactions` with an Idempotency-Key). The API runs as `shushang serve
--workers 2`; the baseline runs comparable statements (a full-text query, the listings
page, the merchant row, one INSERT per trade) on as many asyncpg connections, and the
ceiling runs the same statements in a bare ASGI app (bench/ceiling.py: uvicorn with as many
workers, no framework) loaded by the same client as the API. It prints throughput,
p50/p99 and errors per concurrency, and the API's share of the raw and of the ceiling's rate.

`--replica` builds a primary and a hot standby (app/core/standby.py, as tests/e2e/test_replica.py
does), and runs the same API on the primary alone, then with `SHUSHANG_READ_DATABASE_URL`
set to the standby: the mixed workload, and public reads alone (search and listings, the
routes a replica serves), each in requests per second.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import aiohttp
import asyncpg
import httpx

from app.core import migrate
from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker
from app.core.roles import Role
from app.core.standby import replicated
from app.core.tokens import hash_token, new_token, shown_prefix
from app.demo import loader
from bench.common import asyncpg_dsn, database_url, serving, serving_ceiling, summary

WORDS = ["数据", "杭州", "企业", "交通", "金融", "医疗", "物流", "能源", "画像", "指数"]
MIX = ["search"] * 8 + ["listings"] * 5 + ["merchant"] * 3 + ["trade"] * 4
DIGEST = hashlib.sha256(b"load contract").hexdigest()
NOW = datetime.now(UTC)

# The statements of the raw baseline, which the ceiling (bench/ceiling.py) runs too.
SEARCH = (
    "SELECT id, name FROM product WHERE status = 'active'"
    " AND search_words @@ plainto_tsquery('simple', $1) ORDER BY id LIMIT 21"
)
LISTINGS = "SELECT * FROM listing WHERE status = 'listed' ORDER BY id LIMIT 21"
MERCHANT = "SELECT * FROM merchant WHERE id = $1"
INSERT = (
    "INSERT INTO bench_raw_trade (id, venue_code, seller_merchant_id,"
    " buyer_merchant_id, amount, fee, currency, on_venue, contract_digest,"
    " occurred_at, leaf_index, created_at)"
    " VALUES ($1, 'OTC', $2, $3, $4, 0, 'CNY', false, $5, $6, 0, now())"
)


async def prepare(url: str) -> tuple[str, list[str]]:
    """The demo catalog (once), an operator token and the merchants' ids."""
    engine = create_engine(Settings(database_url=url), url, pool_size=2)
    try:
        await loader.load(create_sessionmaker(engine), Settings(database_url=url))
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        token = new_token(Role.operator)
        await connection.execute(
            "INSERT INTO api_key (id, name, role, token_prefix, token_hash, created_at)"
            " VALUES ($1, 'load', 'operator', $2, $3, now())",
            uuid.uuid4(),
            shown_prefix(token),
            hash_token(token),
        )
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw_trade (LIKE trade); TRUNCATE bench_raw_trade"
        )
        merchants = [str(r["id"]) for r in await connection.fetch("SELECT id FROM merchant")]
        return token, merchants
    finally:
        await connection.close()


# Requests/s, latency figures, errors, and latency figures by kind of request.
Round = tuple[float, dict[str, float], int, dict[str, dict[str, float]]]


async def api_round(
    base: str, token: str, merchants: list[str], clients: int, seconds: float
) -> Round:
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {kind: [] for kind in MIX}
    errors = 0
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=clients)) as http:

        async def client(seed: int) -> None:
            nonlocal errors
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                kind = rng.choice(MIX)
                started = time.perf_counter()
                if kind == "search":
                    # A first page of 20, as the listings (the baseline reads 21 rows each).
                    call = http.get("/v1/products", params={"q": rng.choice(WORDS), "limit": "20"})
                elif kind == "listings":
                    call = http.get("/v1/listings", params={"limit": "20"})
                elif kind == "merchant":
                    call = http.get(f"/v1/merchants/{rng.choice(merchants)}", headers=headers)
                else:
                    seller, buyer = rng.sample(merchants, 2)
                    call = http.post(
                        "/v1/transactions",
                        json={
                            "venue_code": "OTC", "on_venue": False,
                            "seller_merchant_id": seller, "buyer_merchant_id": buyer,
                            "amount": f"{rng.randint(1, 99999)}.00",
                            "contract_digest": DIGEST, "occurred_at": NOW.isoformat(),
                        },
                        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                    )  # fmt: skip
                async with call as response:
                    await response.read()
                    if response.status >= 400:
                        errors += 1
                latency = (time.perf_counter() - started) * 1000
                latencies.append(latency)
                by_kind[kind].append(latency)

        started = time.monotonic()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.monotonic() - started
    kinds = {kind: summary(samples) for kind, samples in by_kind.items() if samples}
    return len(latencies) / elapsed, summary(latencies), errors, kinds


async def raw_round(
    url: str, merchants: list[str], clients: int, seconds: float
) -> tuple[float, dict[str, float]]:
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=clients, max_size=clients)
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    ids = [uuid.UUID(m) for m in merchants]

    async def client(seed: int) -> None:
        rng = random.Random(seed)
        async with pool.acquire() as connection:
            while time.monotonic() < deadline:
                kind = rng.choice(MIX)
                started = time.perf_counter()
                if kind == "search":
                    await connection.fetch(SEARCH, rng.choice(WORDS))
                elif kind == "listings":
                    await connection.fetch(LISTINGS)
                elif kind == "merchant":
                    await connection.fetchrow(MERCHANT, rng.choice(ids))
                else:
                    seller, buyer = rng.sample(ids, 2)
                    await connection.execute(
                        INSERT,
                        uuid.uuid4(), seller, buyer, Decimal(rng.randint(1, 99999)), DIGEST, NOW,
                    )  # fmt: skip
                latencies.append((time.perf_counter() - started) * 1000)

    started = time.monotonic()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.monotonic() - started
    await pool.close()
    return len(latencies) / elapsed, summary(latencies)


def over_http(
    base: str, token: str, merchants: list[str], levels: list[int], seconds: float
) -> dict[int, Round]:
    """The mix against a served app (the API or the ceiling) at each level, after a warm-up."""
    asyncio.run(api_round(base, token, merchants, 4, 2))
    return {c: asyncio.run(api_round(base, token, merchants, c, seconds)) for c in levels}


def report(
    levels: list[int],
    raw: dict[int, tuple[float, dict[str, float]]],
    ceiling: dict[int, Round],
    api: dict[int, Round],
) -> None:
    print(f"{'clients':>8}{'raw req/s':>11}{'raw p99':>9}{'ceil req/s':>11}{'ceil p99':>9}"
          f"{'API req/s':>11}{'API p50':>9}{'API p99':>9}{'errors':>8}{'API/raw':>9}"
          f"{'API/ceil':>10}")  # fmt: skip
    for c in levels:
        raw_rate, raw_lat = raw[c]
        ceiling_rate, ceiling_lat, ceiling_errors, _ = ceiling[c]
        api_rate, api_lat, errors, _ = api[c]
        assert ceiling_errors == 0, "the ceiling app failed requests"
        print(
            f"{c:>8}{raw_rate:>11,.0f}{raw_lat['p99']:>9.1f}"
            f"{ceiling_rate:>11,.0f}{ceiling_lat['p99']:>9.1f}"
            f"{api_rate:>11,.0f}{api_lat['p50']:>9.1f}{api_lat['p99']:>9.1f}{errors:>8}"
            f"{api_rate / raw_rate:>9.0%}{api_rate / ceiling_rate:>10.0%}"
        )
    print("\nlatency by kind of request, ms (p50 / p99): ceiling | API")
    for c in levels:
        shown = [
            f"{kind} {ceiling[c][3][kind]['p50']:.1f}/{ceiling[c][3][kind]['p99']:.1f} | "
            f"{api[c][3][kind]['p50']:.1f}/{api[c][3][kind]['p99']:.1f}"
            for kind in api[c][3]
        ]
        print(f"{c:>8}  " + "; ".join(shown))


async def read_round(base: str, clients: int, seconds: float) -> tuple[float, int]:
    """Public reads only (catalog search and listings, 8:5): requests per second, errors."""
    done = errors = 0
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=clients)) as http:

        async def client(seed: int) -> None:
            nonlocal done, errors
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                if rng.random() < 8 / 13:
                    call = http.get("/v1/products", params={"q": rng.choice(WORDS), "limit": "20"})
                else:
                    call = http.get("/v1/listings", params={"limit": "20"})
                async with call as response:
                    await response.read()
                    errors += response.status >= 400
                done += 1

        started = time.monotonic()
        await asyncio.gather(*(client(n) for n in range(clients)))
        return done / (time.monotonic() - started), errors


def replica_comparison(seconds: float, levels: list[int], workers: int) -> None:
    """The API on a primary alone, then with its hot standby as the read replica."""
    figures: dict[str, dict[int, tuple[float, float, int]]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-replica-") as root,
        replicated(Path(root)) as pair,
    ):
        migrate.upgrade(pair.primary_url)
        token, merchants = asyncio.run(prepare(pair.primary_url))
        pair.caught_up()
        for name, replica in (("primary only", None), ("with replica", pair.standby_url)):
            # One client address makes every anonymous read: no per-address limit.
            os.environ["SHUSHANG_ANONYMOUS_RATE_LIMIT_PER_MINUTE"] = "0"
            if replica:
                os.environ["SHUSHANG_READ_DATABASE_URL"] = replica
            try:
                with serving(pair.primary_url, workers) as (base, _):
                    asyncio.run(api_round(base, token, merchants, 4, 2))  # warm up
                    figures[name] = {}
                    for c in levels:
                        mixed, _, mixed_errors, _ = asyncio.run(
                            api_round(base, token, merchants, c, seconds)
                        )
                        reads, read_errors = asyncio.run(read_round(base, c, seconds))
                        figures[name][c] = (mixed, reads, mixed_errors + read_errors)
                    shown = httpx.get(
                        base + "/metrics", headers={"Authorization": f"Bearer {token}"}
                    ).text
                    used = [m for m in shown.splitlines() if m.startswith("shushang_read_")]
                    print(name, "| " + "; ".join(used))
            finally:
                os.environ.pop("SHUSHANG_READ_DATABASE_URL", None)
                os.environ.pop("SHUSHANG_ANONYMOUS_RATE_LIMIT_PER_MINUTE", None)
    print(f"\nread replica, {seconds:.0f} s per level, API with --workers {workers}")
    print(f"{'clients':>8}{'':>4}{'mixed req/s':>13}{'reads/s':>10}{'errors':>8}")
    for c in levels:
        for name in figures:
            mixed, reads, errors = figures[name][c]
            print(f"{c:>8}  {name:<14}{mixed:>11,.0f}{reads:>10,.0f}{errors:>8}")
        ratio = figures["with replica"][c][1] / figures["primary only"][c][1]
        print(f"{'':>8}  reads/s with the replica / without: {ratio:.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", default="4,16,32")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--replica", action="store_true", help="API reads/s with and without a read replica"
    )
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    if args.replica:
        replica_comparison(args.seconds, levels, args.workers)
        return

    url = database_url("shushang_bench_load")
    migrate.upgrade(url)
    token, merchants = asyncio.run(prepare(url))
    raw = {c: asyncio.run(raw_round(url, merchants, c, args.seconds)) for c in levels}
    with serving_ceiling(url, args.workers) as base:
        ceiling = over_http(base, token, merchants, levels, args.seconds)
    with serving(url, args.workers) as (base, _):
        api = over_http(base, token, merchants, levels, args.seconds)

    print(
        f"\nmixed workload, {args.seconds:.0f} s per level, API and ceiling with "
        f"{args.workers} workers"
    )
    report(levels, raw, ceiling, api)


if __name__ == "__main__":
    main()

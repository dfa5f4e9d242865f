"""The books, statements and programme reports of 2026-12-07: a year of one merchant's records
through the API, against a plain merchant read and `/healthz` in the same run.

    .venv/bin/python -m bench.books [--requests 20] [--assets-per-month 3] [--trades-per-month 40]

Loads the demo world (app/demo, through the services) into a fresh database, picks the demo
merchant with the most data assets and times, one request at a time over HTTP on `shushang
serve` (one worker, an operator's key), `--requests` calls each of: the data-asset disclosure
for a year (JSON, XLSX), the journal for the year (JSON, CSV, XLSX), the monthly statement
(JSON, XLSX, PDF) of its busiest month and venue, `GET /v1/merchants/{id}/firsts`, `GET
/v1/stats/policy` for the year and `GET /v1/programmes/{code}/summary` (a route this build
lacks is reported absent). Prints p50/p95, the ratio of each p50 to the merchant read's, and
PASS/FAIL against the target: < 1 s at p95 (docs/performance.md).

The demo's books are small (three assets for FY2025), so it then grows the merchant's current
year through the same services (`--assets-per-month` purchased intangibles capitalised each
month, three cost items each, amortised monthly; `--trades-per-month` confirmed OTC trades
with another demo merchant, either side) and times the same calls for that year again.
`--assets-per-month 0 --trades-per-month 0` skips the growth.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import time
import uuid
from collections import Counter
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any

import asyncpg
import httpx

from app.assets import service as assets
from app.assets.engine import MovementType
from app.assets.schemas import CostItemCreate, DataAssetCreate
from app.core import migrate
from app.core.clock import SHANGHAI, shanghai_today
from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker, driver, unit_of_work
from app.core.roles import Role
from app.core.tokens import hash_token, new_token, shown_prefix
from app.demo import loader
from app.demo import programmes as demo_programmes
from app.statements import closing
from app.trades import recorder
from app.trades.schemas import TradeCreate
from app.wiring import register
from bench.common import asyncpg_dsn, database_url, serving, summary

DATABASE = "shushang_bench_books"
TARGET_MS = 1000.0
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"


async def fresh(url: str) -> None:
    """Drop and re-create the bench database (on the server `url` names)."""
    server = asyncpg_dsn(url).replace(f"/{DATABASE}?", "/postgres?", 1)
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()


async def load_demo(url: str) -> float:
    settings = Settings(database_url=url)
    engine = create_engine(settings, url, pool_size=2)
    started = time.perf_counter()
    try:
        await loader.load(create_sessionmaker(engine), settings)
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def operator_token(url: str) -> str:
    token = new_token(Role.operator)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(
            "INSERT INTO api_key (id, name, role, token_prefix, token_hash, created_at)"
            " VALUES ($1, 'bench books', 'operator', $2, $3, now())",
            uuid.uuid4(),
            shown_prefix(token),
            hash_token(token),
        )
    finally:
        await connection.close()
    return token


async def busiest(url: str) -> tuple[str, str, int]:
    """The demo merchant with the most data assets, and a partner (another demo merchant)."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        row = await connection.fetchrow(
            "SELECT merchant_id, count(*) AS n FROM data_asset GROUP BY merchant_id"
            " ORDER BY n DESC, merchant_id LIMIT 1"
        )
        assert row is not None, "the demo world has no data assets"
        partner = await connection.fetchval(
            "SELECT id FROM merchant WHERE id <> $1 ORDER BY created_at, id LIMIT 1",
            row["merchant_id"],
        )
        return str(row["merchant_id"]), str(partner), int(row["n"])
    finally:
        await connection.close()


async def busiest_month(url: str, merchant: str) -> tuple[str, str, int]:
    """The venue and month whose statement holds most of the merchant's trades: a trade is in
    its own month's statement, or, recorded after that month closed, an adjustment in the
    month open when it was recorded (app/statements/closing.py); ties go to the latest."""
    close_day = Settings(database_url=url).statement_close_day
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch(
            "SELECT venue_code, occurred_at, created_at FROM trade"
            " WHERE $1 IN (seller_merchant_id, buyer_merchant_id)",
            uuid.UUID(merchant),
        )
    finally:
        await connection.close()
    counts: Counter[tuple[str, str]] = Counter()
    for row in rows:
        own = closing.month_at(row["occurred_at"])
        counts[
            row["venue_code"], max(own, closing.landing_month(row["created_at"], close_day))
        ] += 1
    if not counts:
        return "OTC", closing.month_at(datetime.now(SHANGHAI)), 0
    (venue, month), n = max(counts.items(), key=lambda kv: (kv[1], kv[0][1], kv[0][0]))
    return venue, month, n


async def records(url: str, merchant: str, year: int) -> dict[str, int]:
    """What the merchant's year holds: assets, cost items, movements, trades."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    m = uuid.UUID(merchant)
    try:
        return {
            "assets": await connection.fetchval(
                "SELECT count(*) FROM data_asset WHERE merchant_id = $1", m
            ),
            "cost items": await connection.fetchval(
                "SELECT count(*) FROM data_asset_cost_item c JOIN data_asset a"
                " ON a.id = c.asset_id WHERE a.merchant_id = $1"
                " AND extract(year FROM c.incurred_on) = $2",
                m,
                year,
            ),
            "trades": await connection.fetchval(
                "SELECT count(*) FROM trade WHERE $1 IN (seller_merchant_id, buyer_merchant_id)"
                " AND extract(year FROM occurred_at AT TIME ZONE 'Asia/Shanghai') = $2",
                m,
                year,
            ),
        }
    finally:
        await connection.close()


async def grow(
    url: str, merchant: str, partner: str, assets_per_month: int, trades_per_month: int
) -> tuple[int, float]:
    """A year of books and trades for `merchant`, through the services as the API runs them:
    the current year's months up to today. Returns the year and the seconds it took."""
    register()
    settings = Settings(database_url=url)
    engine = create_engine(settings, url, pool_size=2)
    factory = create_sessionmaker(engine)
    today = shanghai_today()
    who = loader.DEMO
    m, p = uuid.UUID(merchant), uuid.UUID(partner)
    started = time.perf_counter()
    try:
        for month in range(1, today.month + 1):
            if date(today.year, month, 3) > today:
                break
            async with unit_of_work(factory) as session:
                for k in range(assets_per_month):
                    asset = await assets.create(
                        session,
                        who,
                        DataAssetCreate.model_validate(
                            {
                                "merchant_id": merchant,
                                "name": f"基准数据集 {today.year}-{month:02d}-{k + 1}",
                                "asset_class": "intangible",
                                "source": "other",
                                "description": "bench.books: 加工整理的数据集",
                            }
                        ),
                    )
                    for kind, amount in (
                        ("processing", "18000.00"),
                        ("quality_assessment", "2500.00"),
                        ("security", "1200.00"),
                    ):
                        item = CostItemCreate.model_validate(
                            {
                                "kind": kind,
                                "amount": amount,
                                "incurred_on": date(today.year, month, 1 + k % 2).isoformat(),
                            }
                        )
                        await assets.add_cost(
                            session, who, asset.id, item, None, settings.large_trade_amount
                        )
                    await assets.move(
                        session,
                        who,
                        asset.id,
                        MovementType.capitalise,
                        {
                            "date": date(today.year, month, 3),
                            "useful_life_months": 36,
                            "indefinite": False,
                            "residual_value": "0",
                        },
                        None,
                    )
                raw = await driver(session)
                for n in range(trades_per_month):
                    seller, buyer = (m, p) if n % 2 else (p, m)
                    day = date(today.year, month, 1 + n % 3)
                    data = TradeCreate(
                        venue_code="OTC",
                        on_venue=False,
                        seller_merchant_id=seller,
                        buyer_merchant_id=buyer,
                        amount=f"{1000 + 37 * n}.00",
                        term="1 年",
                        contract_digest=hashlib.sha256(
                            f"bench books {month} {n}".encode()
                        ).hexdigest(),
                        occurred_at=datetime.combine(day, clock_time(9 + n % 8), SHANGHAI),
                    )
                    key = f"bench-books/{merchant}/{today.year}-{month:02d}/{n}"
                    await recorder.record_one(
                        raw, who, data, key, large_amount=settings.large_trade_amount
                    )
    finally:
        await engine.dispose()
    return today.year, time.perf_counter() - started


def calls(
    merchant: str, year: int, venue: str, month: str
) -> list[tuple[str, str, dict[str, str], dict[str, str]]]:
    """(label, path, params, headers) of each timed call; absent routes left out by the caller."""
    books = {"from": f"{year}-01", "to": f"{year}-12"}
    disclosure = f"/v1/merchants/{merchant}/data-asset-disclosure"
    journal = f"/v1/merchants/{merchant}/data-asset-journal"
    statement = f"/v1/merchants/{merchant}/statements/{month}"
    summary_path = f"/v1/programmes/{demo_programmes.CODE}/summary"
    return [
        ("baseline: /healthz", "/healthz", {}, {}),
        ("baseline: merchant read", f"/v1/merchants/{merchant}", {}, {}),
        ("disclosure JSON", disclosure, books, {}),
        ("disclosure XLSX", disclosure, books, {"Accept": XLSX}),
        ("journal JSON", journal, books, {}),
        ("journal CSV", journal, {**books, "format": "csv"}, {}),
        ("journal XLSX", journal, {**books, "format": "xlsx"}, {}),
        ("statement JSON", statement, {"venue_code": venue}, {}),
        ("statement XLSX", statement, {"venue_code": venue, "format": "xlsx"}, {}),
        ("statement PDF", statement, {"venue_code": venue, "format": "pdf"}, {}),
        ("firsts", f"/v1/merchants/{merchant}/firsts", {}, {}),
        (
            "stats/policy",
            "/v1/stats/policy",
            {"from": f"{year}-01", "to": f"{year}-12"},
            {},
        ),
        ("programme summary", summary_path, {}, {}),
    ]


def route_of(path: str, paths: set[str]) -> bool:
    """Whether the served app has a route for `path` (OpenAPI templates matched segment-wise)."""
    parts = path.strip("/").split("/")
    for template in paths:
        t = template.strip("/").split("/")
        if len(t) == len(parts) and all(
            a == b or (a.startswith("{") and a.endswith("}")) for a, b in zip(t, parts, strict=True)
        ):
            return True
    return False


Row = tuple[str, dict[str, float] | None, int]  # label, figures (None: absent), bytes


def time_calls(base: str, token: str, chosen: list[Any], requests: int) -> list[Row]:
    rows: list[Row] = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        paths = set(http.get("/openapi.json").json()["paths"]) | {"/healthz"}
        for label, path, params, headers in chosen:
            if not route_of(path, paths):
                rows.append((label, None, 0))
                continue
            size = 0
            samples: list[float] = []
            for n in range(requests + 2):  # two warm-ups, not counted
                started = time.perf_counter()
                answer = http.get(path, params=params, headers=headers, timeout=60)
                elapsed = (time.perf_counter() - started) * 1000
                assert answer.status_code == 200, f"{label}: {answer.status_code} {answer.text}"
                size = len(answer.content)
                if n >= 2:
                    samples.append(elapsed)
            rows.append((label, summary(samples), size))
    return rows


def show(title: str, rows: list[Row], requests: int) -> bool:
    print(f"\n{title}; {requests} requests each, one at a time")
    print(f"{'':26}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'p50/read':>10}{'bytes':>10}  < 1 s p95")
    read = next(f for label, f, _ in rows if label == "baseline: merchant read")
    assert read is not None
    met = True
    for label, figures, size in rows:
        if figures is None:
            print(f"{label:26}{'absent from this build (no route)':>47}")
            continue
        verdict = ""
        if not label.startswith("baseline"):
            ok = figures["p95"] < TARGET_MS
            met = met and ok
            verdict = "PASS" if ok else "FAIL"
        print(
            f"{label:26}{figures['p50']:9.1f}{figures['p95']:9.1f}{figures['p99']:9.1f}"
            f"{figures['p50'] / read['p50']:10.1f}{size:10,}  {verdict}"
        )
    return met


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--assets-per-month", type=int, default=3)
    parser.add_argument("--trades-per-month", type=int, default=40)
    args = parser.parse_args()

    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    url = database_url(DATABASE)
    asyncio.run(fresh(url))
    migrate.upgrade(url)
    print(f"demo world loaded in {asyncio.run(load_demo(url)):.0f} s")
    token = asyncio.run(operator_token(url))
    merchant, partner, n_assets = asyncio.run(busiest(url))
    year = 2025  # the demo's books: FY2025, closed
    venue, month, n_trades = asyncio.run(busiest_month(url, merchant))
    held = asyncio.run(records(url, merchant, year))
    with serving(url) as (base, _):
        rows = time_calls(base, token, calls(merchant, year, venue, month), args.requests)
    met = show(
        f"demo world, merchant {merchant} ({n_assets} data assets; FY{year}: "
        f"{held['cost items']} cost items, {held['trades']} trades); statement {venue} {month} "
        f"({n_trades} trades and adjustments)",
        rows,
        args.requests,
    )

    if args.assets_per_month or args.trades_per_month:
        grown, seconds = asyncio.run(
            grow(url, merchant, partner, args.assets_per_month, args.trades_per_month)
        )
        print(f"\ngrew {grown} in {seconds:.0f} s")
        venue, month, n_trades = asyncio.run(busiest_month(url, merchant))
        held = asyncio.run(records(url, merchant, grown))
        with serving(url) as (base, _):
            rows = time_calls(base, token, calls(merchant, grown, venue, month), args.requests)
        met = (
            show(
                f"grown year {grown}: {held['assets']} data assets, {held['cost items']} cost "
                f"items, {held['trades']} trades in {grown}; statement {venue} {month} "
                f"({n_trades} trades and adjustments)",
                rows,
                args.requests,
            )
            and met
        )
    print(f"\ntarget: every new endpoint < {TARGET_MS:.0f} ms at p95 -> "
          f"{'met' if met else 'NOT met'}")  # fmt: skip
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()

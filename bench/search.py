"""Catalog search over 100 000 Chinese products: through the API, and the same SQL on raw asyncpg.

    .venv/bin/python -m bench.search [--products 100000] [--rounds 30] [--clients 1,16]

Builds the products once (kept in the bench database for the next run), then times typical
searches (first page of 20, by relevance tier) through `shushang serve` (one worker) over
HTTP and the same statements through asyncpg, one at a time and from 16 clients at once
(each client loops over the queries `--rounds` times; aiohttp, the cheaper client), and
prints p50/p95/p99 and requests/s of each and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from dataclasses import astuple
from datetime import UTC, datetime
from multiprocessing import Pool

import aiohttp
import asyncpg

from app.core import migrate
from app.core.roles import Role
from app.core.tokens import hash_token, new_token, shown_prefix
from app.demo import catalog
from app.products import search
from app.products.schemas import Domain, ProductType
from bench.common import asyncpg_dsn, database_url, served, summary

QUERIES = [
    "交通", "企业画像", "碳排放", "杭州 数据", "信用评价", "集装箱 吞吐量", "API", "公共数据",
    "宁波 港口", "预测模型", "医保", "茶园",
]  # fmt: skip
PAGE = 20
NEW_MERCHANT = (
    "INSERT INTO merchant (id, name, uscc, region_code, categories, third_party_roles,"
    " contact_email, created_at, updated_at, version) VALUES ($1, $2, $3, $4,"
    " '{data_product}', '{}', 'bench@example.cn', now(), now(), 1) RETURNING id"
)


def _rows(args: tuple[int, int, list[str]]) -> list[tuple[object, ...]]:
    start, count, merchant_ids = args
    rng = random.Random(start)
    types = list(ProductType)
    domains = list(Domain)
    cities = [
        "杭州",
        "宁波",
        "温州",
        "嘉兴",
        "湖州",
        "绍兴",
        "金华",
        "衢州",
        "舟山",
        "台州",
        "丽水",
    ]
    rows = []
    for i in range(start, start + count):
        product_type = types[i % len(types)]
        domain = domains[(i // len(types)) % len(domains)]
        name, description, tags = catalog.product_text(
            rng, product_type, domain, rng.choice(cities)
        )
        name = f"{name}-{i}"
        rows.append(
            (
                uuid.UUID(int=(0x01A2 << 112) | i),
                uuid.UUID(merchant_ids[i % len(merchant_ids)]),
                name,
                description,
                product_type.value,
                [domain.value],
                "[]",
                "general",
                2,
                rng.choice(["draft", "active"]),
                *astuple(search.vectors(name, description, tags)),
                tags,
            )
        )
    return rows


async def build(url: str, target: int) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        have = await connection.fetchval("SELECT count(*) FROM product")
        if have >= target:
            print(f"products: {have} already built")
            return
        merchants = [
            str(m)
            for m in await connection.fetchval("SELECT coalesce(array_agg(id), '{}') FROM merchant")
        ]
        if len(merchants) < 50:
            rng = random.Random(7)
            for n in range(50):
                region = rng.choice(catalog.DISTRICTS["330100"])
                merchants.append(
                    str(
                        await connection.fetchval(
                            NEW_MERCHANT,
                            uuid.uuid4(),
                            f"基准测试数商{n}",
                            catalog.uscc_for(rng, region),
                            region,
                        )
                    )
                )
        started = time.perf_counter()
        batch = 5_000
        jobs = [(s, min(batch, target - s), merchants) for s in range(have, target, batch)]
        columns = [
            "id",
            "merchant_id",
            "name",
            "description",
            "product_type",
            "domains",
            "data_sources",
            "classification",
            "classification_level",
            "status",
            "search_name",
            "search_words",
            "search_pairs",
            "tags",
            "contains_personal_info",
            "sensitive_personal_info",
            "cross_border",
            "delivery_modes",
            "created_at",
            "updated_at",
            "revision",
        ]
        # tsvector has no binary COPY format: stage it as text, cast on the way in.
        await connection.execute(
            "CREATE TEMP TABLE staged (LIKE product INCLUDING DEFAULTS);"
            "ALTER TABLE staged ALTER COLUMN search_name TYPE text,"
            " ALTER COLUMN search_words TYPE text, ALTER COLUMN search_pairs TYPE text"
        )
        with Pool(2) as pool:
            for rows in pool.imap(_rows, jobs):
                await connection.copy_records_to_table(
                    "staged", records=[_record(r) for r in rows], columns=columns
                )
                listed = ", ".join(columns)
                cast = ", ".join(
                    f"{c}::tsvector" if c.startswith("search_") else c for c in columns
                )
                await connection.execute(
                    f"INSERT INTO product ({listed}) SELECT {cast} FROM staged; TRUNCATE staged"
                )
        await connection.execute("ANALYZE product")
        print(f"products: built {target - have} in {time.perf_counter() - started:.0f} s")
    finally:
        await connection.close()


def _record(row: tuple[object, ...]) -> tuple[object, ...]:
    *head, tags = row
    return (*head, tags, False, False, False, ["api"], _NOW, _NOW, 1)


_NOW = datetime.now(UTC)

COLUMNS = """id, merchant_id, name, description, product_type, domains, data_sources,
classification, classification_level, contains_personal_info, sensitive_personal_info,
personal_info_basis, persons_count, cross_border, cross_border_assessment_ref, update_frequency,
coverage_start, coverage_end, delivery_modes, tags, schema, service_level, data_as_of, status,
created_at, updated_at, revision"""
# The statements the API runs for a first page: each relevance tier, newest first
# (app/products/repository.py).
TIERS = [
    f"SELECT {COLUMNS} FROM product WHERE search_name @@ $1::tsquery ORDER BY id DESC LIMIT $2",
    f"SELECT {COLUMNS} FROM product WHERE search_words @@ $1::tsquery "
    "AND NOT search_name @@ $1::tsquery ORDER BY id DESC LIMIT $2",
    f"SELECT {COLUMNS} FROM product WHERE search_pairs @@ $3::tsquery "
    "AND NOT search_words @@ $1::tsquery ORDER BY id DESC LIMIT $2",
]


async def first_page(connection: asyncpg.Connection, q: str) -> list[asyncpg.Record]:
    literal = search.query(q)
    assert literal is not None
    rows: list[asyncpg.Record] = []
    for tier, statement in enumerate(TIERS, start=1):
        params = [literal.words, PAGE + 1 - len(rows)] + ([literal.pairs] if tier == 3 else [])
        rows += await connection.fetch(statement, *params)
        if len(rows) > PAGE:
            break
    return rows


Timed = tuple[list[float], float]  # latencies in ms, requests/s


async def time_raw(url: str, rounds: int, clients: int) -> Timed:
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=clients, max_size=clients)
    samples: list[float] = []

    async def client(seed: int) -> None:
        order = random.Random(seed)
        async with pool.acquire() as connection:
            for _ in range(rounds):
                for q in order.sample(QUERIES, len(QUERIES)):
                    started = time.perf_counter()
                    await first_page(connection, q)
                    samples.append((time.perf_counter() - started) * 1000)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    finally:
        await pool.close()
    return samples, len(samples) / elapsed


async def time_api(base: str, token: str, rounds: int, clients: int) -> Timed:
    samples: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base, headers=headers, connector=connector) as http:

        async def client(seed: int) -> None:
            order = random.Random(seed)
            for _ in range(rounds):
                for q in order.sample(QUERIES, len(QUERIES)):
                    started = time.perf_counter()
                    async with http.get("/v1/products", params={"q": q, "limit": PAGE}) as answer:
                        text = await answer.text()
                        assert answer.status == 200, text
                    samples.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    return samples, len(samples) / elapsed


async def auditor_token(url: str) -> str:
    token = new_token(Role.auditor)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(
            "INSERT INTO api_key (id, name, role, token_prefix, token_hash, created_at) "
            "VALUES ($1, 'bench', 'auditor', $2, $3, now())",
            uuid.uuid4(),
            shown_prefix(token),
            hash_token(token),
        )
    finally:
        await connection.close()
    return token


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--clients", default="1,16")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]

    url = database_url("shushang_bench_search")
    migrate.upgrade(url)
    asyncio.run(build(url, args.products))
    search.warm_up()
    asyncio.run(time_raw(url, 2, 1))  # warm the cache
    raw = {c: asyncio.run(time_raw(url, args.rounds, c)) for c in levels}
    token = asyncio.run(auditor_token(url))
    with served(url) as base:
        asyncio.run(time_api(base, token, 2, 1))
        api = {c: asyncio.run(time_api(base, token, args.rounds, c)) for c in levels}

    print(
        f"\nsearch over {args.products} products, {len(QUERIES)} queries x {args.rounds} rounds "
        f"per client, first page of {PAGE}, API with one worker"
    )
    print(f"{'clients':>8} {'':12}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>9}")
    for c in levels:
        figures = {"raw asyncpg": raw[c], "API (HTTP)": api[c]}
        shown = {name: (summary(samples), rate) for name, (samples, rate) in figures.items()}
        for name, (lat, rate) in shown.items():
            print(
                f"{c:>8} {name:12}{lat['p50']:9.2f}{lat['p95']:9.2f}{lat['p99']:9.2f}{rate:9,.0f}"
            )
        (r, r_rate), (a, a_rate) = shown.values()
        print(
            f"{c:>8} {'API / raw':12}{a['p50'] / r['p50']:9.2f}{a['p95'] / r['p95']:9.2f}"
            f"{a['p99'] / r['p99']:9.2f}{a_rate / r_rate:9.0%}"
        )
    if 1 in levels:
        p95 = summary(api[1][0])["p95"]
        print(f"target: one client, API p95 <= 30 ms -> {'met' if p95 <= 30 else 'NOT met'}")
        ratio = summary(api[1][0])["p50"] / summary(raw[1][0])["p50"]
        print(f"target: one client, API p50 <= 4 x raw p50 -> {ratio:.1f} x, "
              f"{'met' if ratio <= 4 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()

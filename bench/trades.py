"""Trades, proofs and export: through the API, against raw asyncpg in the same run.

    .venv/bin/python -m bench.trades [--trades 3000] [--clients 32] [--rounds 3]
                                     [--leaves 1000000] [--export-rows 1000000]
                                     [--import-lines 100000] [--only import|limits]

1. Trade recording: `--clients` concurrent HTTP clients posting trades to `shushang serve`,
   against the same load on a bare ASGI app doing just one INSERT a request
   (bench/ceiling.py: what HTTP in Python can reach on the machine at all), and against the
   same rows inserted by as many raw asyncpg connections, one INSERT each. The API and the
   bare app run side by side and are loaded in turns, `--rounds` times: this machine's
   speed drifts within a minute, so each round's ratio compares two measurements seconds
   apart, and the median round is the figure. The load generator is aiohttp's client:
   httpx's costs more CPU per request than the server. Targets: ≥ 50 % of the bare ASGI
   app's throughput, p99 ≤ 50 ms.
2. Inclusion proofs on a log of `--leaves` leaves (built once, kept): p50/p95 through the
   API against fetching the same subtree hashes with asyncpg. Target: API p95 ≤ 5 ms.
3. CSV export of `--export-rows` trades (built once, kept): rows per second through the API
   against the same COPY on raw asyncpg, and the server's peak memory before and after.
   Target: ≥ 100 000 rows/s, memory flat.
4. Bulk import (`POST /v1/transactions/imports`) of `--import-lines` trades in one JSON
   Lines body, into a venue of its own, after one of a tenth the size: rows per second
   against the same rows inserted one INSERT each by `--clients` raw asyncpg connections,
   and against one COPY of them; the server's peak memory after each import (flat from the
   small import to the large); then `shushang ledger verify` on the venue. Target: ≥ 50 %
   of raw single-row INSERT rows/s, every row a verified leaf, memory flat.
5. `--only limits`: what the shared rate limit of keys costs. Trades (the lane: one
   statement per batch looks the keys up and takes from their buckets) and keyed reads
   (`GET /v1/me`: the key's lookup takes its token) from `--clients` clients with one key,
   through `serve` with the key limit off and on (so high that nothing is refused), in turns.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx

from app.core import migrate
from app.core.roles import Role
from app.core.tokens import hash_token, new_token, shown_prefix
from app.demo.catalog import uscc_for
from app.ledger import merkle
from app.ledger import repository as ledger_repository
from bench.common import (
    ROOT,
    asyncpg_dsn,
    database_url,
    peak_rss_mb,
    serving,
    serving_ceiling,
    summary,
)

DIGEST = hashlib.sha256(b"bench contract").hexdigest()
NOW = datetime.now(UTC)
NEW_MERCHANT = (
    "INSERT INTO merchant (id, name, uscc, region_code, categories, third_party_roles,"
    " contact_email, created_at, updated_at, version) VALUES ($1, $2, $3, '330106',"
    " '{data_product}', '{}', 'b@example.cn', now(), now(), 1) RETURNING id"
)
RAW_INSERT = (
    "INSERT INTO bench_raw_trade (id, venue_code, seller_merchant_id, buyer_merchant_id, amount,"
    " fee, currency, term, on_venue, contract_digest, occurred_at, leaf_index, created_at)"
    " VALUES ($1, 'OTC', $2, $3, $4, 0, 'CNY', '12 个月', false, $5, $6, $7, now())"
)


async def setup(url: str) -> tuple[str, str, str]:
    """Two merchants and an operator token."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        ids = [
            str(r["id"])
            for r in await connection.fetch("SELECT id FROM merchant ORDER BY id LIMIT 2")
        ]
        for n in range(2 - len(ids)):
            ids.append(
                str(
                    await connection.fetchval(
                        NEW_MERCHANT,
                        uuid.uuid4(),
                        f"基准数商{n}",
                        uscc_for(random.Random(n), "330106"),
                    )
                )
            )
        token = new_token(Role.operator)
        await connection.execute(
            "INSERT INTO api_key (id, name, role, token_prefix, token_hash, created_at) "
            "VALUES ($1, 'bench', 'operator', $2, $3, now())",
            uuid.uuid4(),
            shown_prefix(token),
            hash_token(token),
        )
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw_trade (LIKE trade); TRUNCATE bench_raw_trade"
        )
        return ids[0], ids[1], token
    finally:
        await connection.close()


def trade_body(seller: str, buyer: str, n: int) -> dict[str, object]:
    return {
        "venue_code": "OTC",
        "on_venue": False,
        "seller_merchant_id": seller,
        "buyer_merchant_id": buyer,
        "amount": f"{1000 + n % 997}.50",
        "contract_digest": DIGEST,
        "occurred_at": NOW.isoformat(),
        "term": "12 个月",
    }


async def raw_inserts(
    url: str, seller: str, buyer: str, total: int, clients: int
) -> tuple[float, dict[str, float]]:
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=clients, max_size=clients)
    latencies: list[float] = []
    counter = iter(range(total))

    async def worker() -> None:
        async with pool.acquire() as connection:
            for n in counter:
                started = time.perf_counter()
                await connection.execute(
                    RAW_INSERT,
                    uuid.uuid4(),
                    uuid.UUID(seller),
                    uuid.UUID(buyer),
                    Decimal(f"{1000 + n % 997}.50"),
                    DIGEST,
                    NOW,
                    n,
                )
                latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    await pool.close()
    return total / elapsed, summary(latencies)


Call = Callable[[aiohttp.ClientSession, int], Any]  # the n-th request's context manager
Loaded = tuple[float, dict[str, float], int]  # requests/s, latency figures, errors


async def _load(base: str, token: str, total: int, clients: int, call: Call, ok: int) -> Loaded:
    """`total` requests made by `call`, from `clients` concurrent clients with the key
    `token`; a status other than `ok` counts as an error."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    async with aiohttp.ClientSession(
        base,
        connector=aiohttp.TCPConnector(limit=clients),
        headers={"Authorization": f"Bearer {token}"},
    ) as client:

        async def worker() -> None:
            nonlocal errors
            for n in counter:
                started = time.perf_counter()
                async with call(client, n) as response:
                    await response.read()
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status != ok:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return total / elapsed, summary(latencies), errors


async def api_trades(
    base: str, token: str, seller: str, buyer: str, total: int, clients: int
) -> Loaded:
    """Trades posted with a fresh Idempotency-Key each."""

    def post(client: aiohttp.ClientSession, n: int) -> Any:
        return client.post(
            "/v1/transactions",
            json=trade_body(seller, buyer, n),
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )

    return await _load(base, token, total, clients, post, 201)


async def build_log(url: str, leaves: int) -> None:
    """A venue BENCH whose log has `leaves` leaves (entries and complete subtrees)."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(
            "INSERT INTO venue (code, name, fee_rate, negative_list, negative_list_version,"
            " created_at, updated_at, version)"
            " VALUES ('BENCH', '基准场所', 0, '[]', 1, now(), now(), 1)"
            " ON CONFLICT DO NOTHING"
        )
        have = await connection.fetchval("SELECT size FROM ledger_head WHERE venue_code = 'BENCH'")
        if have == leaves:
            print(f"log: {leaves:,} leaves already built")
            return
        if have:
            raise SystemExit("the BENCH log has another size: delete .shushang/bench to rebuild")
        started = time.perf_counter()
        nodes: dict[tuple[int, int], bytes] = {}
        entries, node_rows = [], []
        ref = uuid.uuid4()
        for i in range(leaves):
            entry = b'{"bench":%d}' % i
            leaf = merkle.leaf_hash(entry)
            entries.append(("BENCH", i, "trade", ref, entry, leaf, NOW))
            node_rows.append(("BENCH", 0, i, leaf))
            nodes[(0, i)] = leaf
            for level, index in merkle.completed_by(i):
                h = merkle.node_hash(
                    nodes[(level - 1, 2 * index)], nodes[(level - 1, 2 * index + 1)]
                )
                nodes[(level, index)] = h
                node_rows.append(("BENCH", level, index, h))
        await connection.copy_records_to_table(
            "ledger_entry",
            records=entries,
            columns=["venue_code", "index", "kind", "ref_id", "entry", "leaf_hash", "created_at"],
        )
        await connection.copy_records_to_table(
            "ledger_node", records=node_rows, columns=["venue_code", "level", "index", "hash"]
        )
        await connection.execute(
            "INSERT INTO ledger_head (venue_code, size) VALUES ('BENCH', $1)", leaves
        )
        await connection.execute("ANALYZE ledger_node")
        print(f"log: built {leaves:,} leaves in {time.perf_counter() - started:.0f} s")
    finally:
        await connection.close()


async def raw_proofs(url: str, leaves: int, rounds: int) -> dict[str, float]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    rng = random.Random(1)
    samples = []
    try:
        for _ in range(rounds):
            index = rng.randrange(leaves)
            wanted = merkle.subtrees_for([*merkle.inclusion_ranges(index, leaves), (0, leaves)])
            started = time.perf_counter()
            await ledger_repository.nodes(connection, "BENCH", wanted)  # the API's query
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        await connection.close()
    return summary(samples)


async def api_proofs(base: str, leaves: int, rounds: int) -> dict[str, float]:
    rng = random.Random(1)
    samples = []
    async with aiohttp.ClientSession(base) as client:
        for _ in range(rounds):
            index = rng.randrange(leaves)
            started = time.perf_counter()
            async with client.get(
                "/v1/ledgers/BENCH/proofs/inclusion",
                params={"index": str(index), "tree_size": str(leaves)},
            ) as response:
                body = await response.read()
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status == 200, body
    return summary(samples)


async def build_trades(url: str, seller: str, buyer: str, rows: int) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        have = await connection.fetchval("SELECT count(*) FROM trade WHERE venue_code = 'WZDEX'")
        if have >= rows:
            print(f"export: {have:,} trades already built")
            return
        started = time.perf_counter()
        for start in range(have, rows, 100_000):
            batch = [
                (
                    uuid.uuid4(),
                    "WZDEX",
                    uuid.UUID(seller),
                    uuid.UUID(buyer),
                    Decimal(f"{100 + n % 9973}.25"),
                    Decimal("0.30"),
                    "CNY",
                    "一年期",
                    False,
                    DIGEST,
                    NOW,
                    n,
                    NOW,
                )
                for n in range(start, min(rows, start + 100_000))
            ]
            await connection.copy_records_to_table(
                "trade",
                records=batch,
                columns=[
                    "id",
                    "venue_code",
                    "seller_merchant_id",
                    "buyer_merchant_id",
                    "amount",
                    "fee",
                    "currency",
                    "term",
                    "on_venue",
                    "contract_digest",
                    "occurred_at",
                    "leaf_index",
                    "created_at",
                ],
            )
        print(f"export: built {rows - have:,} trades in {time.perf_counter() - started:.0f} s")
    finally:
        await connection.close()


async def raw_export(url: str) -> tuple[int, float]:
    """The same COPY the API runs, straight to a counting callback (the same columns, with
    `confirmed`, `operator_confirmed` and `large` computed by the same SQL, but no
    formatting)."""
    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql

    from app.core.config import Settings
    from app.trades.confirmation import confirmed_clause, large_clause, operator_confirmed_clause
    from app.trades.export import COLUMNS
    from app.trades.models import Trade

    computed = {
        "confirmed": confirmed_clause(),
        "operator_confirmed": operator_confirmed_clause(),
        "large": large_clause(Settings.model_fields["large_trade_amount"].default),
    }
    selected = [computed[c].label(c) if c in computed else getattr(Trade, c) for c in COLUMNS]
    query = select(*selected).where(Trade.venue_code == "WZDEX").order_by(Trade.id)
    sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))

    connection = await asyncpg.connect(asyncpg_dsn(url))
    lines = 0

    async def count(chunk: bytes) -> None:
        nonlocal lines
        lines += chunk.count(b"\n")

    started = time.perf_counter()
    try:
        await connection.copy_from_query(
            sql,
            output=count,
            format="csv",
            header=True,
        )
    finally:
        await connection.close()
    return lines - 1, (lines - 1) / (time.perf_counter() - started)


async def api_export(base: str, token: str) -> tuple[int, float]:
    lines = 0
    started = time.perf_counter()
    async with (
        httpx.AsyncClient(base_url=base, timeout=600) as client,
        client.stream(
            "GET",
            "/v1/transactions/export",
            params={"venue": "WZDEX"},
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        async for chunk in response.aiter_bytes():
            lines += chunk.count(b"\n")
    return lines - 1, (lines - 1) / (time.perf_counter() - started)


IMPORT_COLUMNS = [
    "id", "venue_code", "seller_merchant_id", "buyer_merchant_id", "amount", "fee", "currency",
    "term", "on_venue", "contract_digest", "occurred_at", "leaf_index", "created_at",
]  # fmt: skip


async def new_venue(url: str) -> str:
    """A venue of this run's own, so its log holds exactly what this run imports."""
    code = "BULK" + uuid.uuid4().hex[:8].upper()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(
            "INSERT INTO venue (code, name, fee_rate, negative_list, negative_list_version,"
            " created_at, updated_at, version) VALUES ($1, '批量导入基准', 0.003, '[]', 1,"
            " now(), now(), 1)",
            code,
        )
    finally:
        await connection.close()
    return code


def import_body(venue: str, seller: str, buyer: str, lines: int) -> bytes:
    """`lines` trades as JSON Lines, each with its own idempotency key (made before timing)."""
    run = uuid.uuid4().hex[:12]
    return b"".join(
        json.dumps(
            {
                "idempotency_key": f"{run}-{n}",
                "venue_code": venue,
                "on_venue": False,
                "seller_merchant_id": seller,
                "buyer_merchant_id": buyer,
                "amount": f"{1000 + n % 997}.50",
                "term": "12 个月",
                "contract_digest": DIGEST,
                "occurred_at": "2019-06-01T10:00:00+08:00",
            },
            ensure_ascii=False,
        ).encode()
        + b"\n"
        for n in range(lines)
    )


async def api_import(base: str, token: str, body: bytes) -> tuple[float, int, int]:
    """Rows per second of one import, its created and its other lines."""
    started = time.perf_counter()
    async with (
        aiohttp.ClientSession(base, timeout=aiohttp.ClientTimeout(total=3600)) as client,
        client.post(
            "/v1/transactions/imports",
            data=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/x-ndjson",
            },
        ) as response,
    ):
        answer = await response.read()
    elapsed = time.perf_counter() - started
    assert response.status == 200, answer[:500]
    tally = json.loads(answer)
    return tally["created"] / elapsed, tally["created"], tally["replayed"] + tally["refused"]


async def raw_copy(url: str, seller: str, buyer: str, total: int) -> float:
    """The same rows, one COPY (trade columns only): the floor of what storing them costs."""
    rows = [
        (
            uuid.uuid4(), "OTC", uuid.UUID(seller), uuid.UUID(buyer),
            Decimal(f"{1000 + n % 997}.50"), Decimal(0), "CNY", "12 个月", False, DIGEST,
            NOW, n, NOW,
        )
        for n in range(total)
    ]  # fmt: skip
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("TRUNCATE bench_raw_trade")
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "bench_raw_trade", records=rows, columns=IMPORT_COLUMNS
        )
        return total / (time.perf_counter() - started)
    finally:
        await connection.close()


def ledger_verify(url: str, venue: str) -> tuple[bool, str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "shushang"), "ledger", "verify", venue],
        env={**os.environ, "SHUSHANG_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0, (done.stdout or done.stderr).strip(), time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float | None:
    """CPU time of the embedded PostgreSQL's processes so far (None for BENCH_DATABASE_URL)."""
    pid_file = ROOT / ".shushang" / "bench" / "pgdata" / "postmaster.pid"
    if os.environ.get("BENCH_DATABASE_URL") or not pid_file.exists():
        return None
    postmaster, total = int(pid_file.read_text().split()[0]), 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if postmaster in (parent, int(entry.name)):
                    total += cpu_seconds(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
    return total


def bench_import(url: str, seller: str, buyer: str, token: str, lines: int, clients: int) -> None:
    small = max(1, lines // 10)
    venue = asyncio.run(new_venue(url))
    warm_body = import_body(venue, seller, buyer, 2000)
    small_body = import_body(venue, seller, buyer, small)
    large_body = import_body(venue, seller, buyer, lines)
    asyncio.run(raw_inserts(url, seller, buyer, 2000, clients))  # warm up
    raw_rate, _ = asyncio.run(raw_inserts(url, seller, buyer, lines, clients))
    copy_rate = asyncio.run(raw_copy(url, seller, buyer, lines))
    os.environ["SHUSHANG_IMPORT_MAX_LINES"] = str(lines)  # the server started below reads it
    with serving(url) as (base, pid):
        asyncio.run(api_import(base, token, warm_body))
        warm = peak_rss_mb(pid)
        small_rate, small_made, small_other = asyncio.run(api_import(base, token, small_body))
        after_small = peak_rss_mb(pid)
        server_cpu, database_cpu = cpu_seconds(pid), postgres_cpu_seconds()
        rate, made, other = asyncio.run(api_import(base, token, large_body))
        server_cpu = cpu_seconds(pid) - server_cpu
        if database_cpu is not None:
            database_cpu = (postgres_cpu_seconds() or 0.0) - database_cpu
        after_large = peak_rss_mb(pid)
    ok, verdict, verify_seconds = ledger_verify(url, venue)

    print(f"\n4. bulk import into {venue}, one JSON Lines body each")
    print(f"{'':34}{'rows/s':>10}")
    print(f"{f'raw single-row INSERT, {clients} conns':34}{raw_rate:>10,.0f}")
    print(f"{'raw COPY (trade rows only)':34}{copy_rate:>10,.0f}")
    print(f"{f'API import, {small:,} lines':34}{small_rate:>10,.0f}   ({small_other} not created)")
    print(f"{f'API import, {lines:,} lines':34}{rate:>10,.0f}   ({other} not created)")
    print(
        f"import / raw INSERT: {rate / raw_rate:.0%}  (target ≥ 50 %); "
        f"import / COPY: {rate / copy_rate:.0%}"
    )
    print(
        f"server peak memory: {warm:.0f} MB after a 2 000-line warm-up, {after_small:.0f} MB "
        f"after {small:,} lines, {after_large:.0f} MB after {lines:,} lines  (target: flat)"
    )
    per_line = f"server CPU per line: {server_cpu / lines * 1e6:.0f} µs (the API process)"
    if database_cpu is not None:
        per_line += f", {database_cpu / lines * 1e6:.0f} µs (PostgreSQL)"
    print(per_line + f"; wall time per line {1e6 / rate:.0f} µs")
    print(
        f"ledger verify {venue}: {'ok' if ok else 'FAILED'} in {verify_seconds:.0f} s — {verdict}"
    )
    assert made == lines and small_made == small, "every line should have been created"


async def api_reads(base: str, token: str, total: int, clients: int) -> Loaded:
    """`GET /v1/me` with one key from `clients` clients: the key's lookup and little else."""
    return await _load(base, token, total, clients, lambda client, _: client.get("/v1/me"), 200)


async def raw_lookups(url: str, token: str, total: int, clients: int, take: bool) -> float:
    """The key's lookup statement alone (with the take, or without), `total` times on
    `clients` asyncpg connections, one key: lookups a second (the row's contention shows)."""
    from app.auth.repository import _PRINCIPAL, _PRINCIPAL_TAKING
    from app.core.ratelimit import Rate

    rate = Rate.of(100_000_000)
    assert rate is not None
    token_hash = hash_token(token)
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=clients, max_size=clients)
    counter = iter(range(total))

    async def worker() -> None:
        async with pool.acquire() as connection:
            for _ in counter:
                if take:
                    await connection.fetchrow(
                        _PRINCIPAL_TAKING, token_hash, rate.emission, rate.burst
                    )
                else:
                    await connection.fetchrow(_PRINCIPAL, token_hash)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    await pool.close()
    return total / elapsed


def bench_limits(url: str, seller: str, buyer: str, token: str, total: int, clients: int) -> None:
    """Section 5: the key limit off and on (shared buckets), two turns each, alternating."""
    on = 100_000_000  # a minute's worth no client here reaches: nothing refused
    figures: dict[tuple[str, str], list[tuple[float, dict[str, float], int]]] = {}
    lookups: dict[str, list[float]] = {}
    for _turn in range(3):
        for label, take in (("lookup only", False), ("lookup + take", True)):
            lookups.setdefault(label, []).append(
                asyncio.run(raw_lookups(url, token, 10 * total, clients, take))
            )
    for _turn in range(2):
        for label, limit in (("off", 0), ("on", on)):
            with serving(url, rate_limit_per_minute=limit) as (base, _):
                asyncio.run(api_trades(base, token, seller, buyer, 200, clients))  # warm up
                figures.setdefault(("trades", label), []).append(
                    asyncio.run(api_trades(base, token, seller, buyer, total, clients))
                )
                figures.setdefault(("reads", label), []).append(
                    asyncio.run(api_reads(base, token, total, clients))
                )
    print(f"\n5. key rate limit off and on, {total:,} requests a turn, {clients} clients, one key")
    print(f"raw statements, {10 * total:,} a turn on {clients} connections (lookups/s):")
    for label, rates in lookups.items():
        print(f"  {label:20}" + "".join(f"{rate:>9,.0f}" for rate in rates))
    print(f"{'':22}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for (what, label), turns in figures.items():
        for rate, lat, errors in turns:
            print(
                f"{what + ', limit ' + label:22}{rate:>8,.0f}{lat['p50']:>9.2f}"
                f"{lat['p99']:>9.2f}{errors:>8}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trades", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--export-rows", type=int, default=1_000_000)
    parser.add_argument("--import-lines", type=int, default=100_000)
    parser.add_argument("--only", choices=["import", "limits"], help="run only this section")
    args = parser.parse_args()

    url = database_url("shushang_bench_trades")
    migrate.upgrade(url)
    seller, buyer, token = asyncio.run(setup(url))
    if args.only == "import":
        bench_import(url, seller, buyer, token, args.import_lines, args.clients)
        return
    if args.only == "limits":
        bench_limits(url, seller, buyer, token, args.trades, args.clients)
        return
    asyncio.run(build_log(url, args.leaves))
    asyncio.run(build_trades(url, seller, buyer, args.export_rows))

    raw_rate, raw = asyncio.run(raw_inserts(url, seller, buyer, args.trades, args.clients))
    raw_proof = asyncio.run(raw_proofs(url, args.leaves, 300))
    raw_rows, raw_export_rate = asyncio.run(raw_export(url))
    rounds: list[tuple[float, dict[str, float], float, dict[str, float], int]] = []
    with serving_ceiling(url) as ceiling, serving(url) as (base, pid):
        for served in (ceiling, base):  # warm up
            asyncio.run(api_trades(served, token, seller, buyer, 200, args.clients))
        for _ in range(args.rounds):
            bare_rate, bare, _ = asyncio.run(
                api_trades(ceiling, token, seller, buyer, args.trades, args.clients)
            )
            api_rate, api, errors = asyncio.run(
                api_trades(base, token, seller, buyer, args.trades, args.clients)
            )
            rounds.append((bare_rate, bare, api_rate, api, errors))
        api_proof = asyncio.run(api_proofs(base, args.leaves, 300))
        before = peak_rss_mb(pid)
        api_rows, api_export_rate = asyncio.run(api_export(base, token))
        after = peak_rss_mb(pid)

    print(
        f"\n1. trade recording, {args.trades:,} trades a round, {args.clients} concurrent "
        f"clients, {args.rounds} rounds (the bare ASGI app, then the API)"
    )
    print(f"{'':16}{'trades/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    print(f"{'raw INSERT':16}{raw_rate:>10,.0f}{raw['p50']:>9.2f}{raw['p99']:>9.2f}")
    for n, (bare_rate, bare, api_rate, api, errors) in enumerate(rounds, start=1):
        print(
            f"{'bare ASGI':16}{bare_rate:>10,.0f}{bare['p50']:>9.2f}{bare['p99']:>9.2f}"
            f"   round {n} (uvicorn, one INSERT a request: the ceiling of HTTP here)"
        )
        print(
            f"{'API (HTTP)':16}{api_rate:>10,.0f}{api['p50']:>9.2f}{api['p99']:>9.2f}"
            f"   round {n}: {api_rate / bare_rate:.0%} of the bare app, errors: {errors}"
        )
    bare_rate, bare, api_rate, api, errors = sorted(rounds, key=lambda r: r[2] / r[0])[
        len(rounds) // 2
    ]
    p99 = statistics.median(r[3]["p99"] for r in rounds)
    print(
        f"median round: API {api_rate:,.0f} trades/s = {api_rate / bare_rate:.0%} of the bare "
        f"ASGI app (target ≥ 50 %); median p99 {p99:.1f} ms (target ≤ 50 ms); "
        f"errors {sum(r[4] for r in rounds)}; API / raw {api_rate / raw_rate:.0%}, "
        f"bare ASGI / raw {bare_rate / raw_rate:.0%}"
    )
    print(f"\n2. inclusion proof, log of {args.leaves:,} leaves, 300 random leaves")
    print(f"{'':16}{'p50 ms':>9}{'p95 ms':>9}")
    print(f"{'raw (hashes)':16}{raw_proof['p50']:>9.2f}{raw_proof['p95']:>9.2f}")
    print(
        f"{'API (HTTP)':16}{api_proof['p50']:>9.2f}{api_proof['p95']:>9.2f}   (target p95 ≤ 5 ms)"
    )
    print(f"\n3. CSV export of {api_rows:,} trades")
    print(f"raw asyncpg COPY:   {raw_export_rate:,.0f} rows/s ({raw_rows:,} rows)")
    print(
        f"API (HTTP):         {api_export_rate:,.0f} rows/s; server peak memory {before:.0f} MB "
        f"before, {after:.0f} MB after  (target ≥ 100 000 rows/s, flat)"
    )
    bench_import(url, seller, buyer, token, args.import_lines, args.clients)


if __name__ == "__main__":
    main()

"""Faults: the database stops under load and comes back; the server is stopped mid-request.

A private PostgreSQL (its own data directory) serves a real `shushang serve`; trades are
recorded by eight clients while the database is stopped with `pg_ctl stop -m fast` and
started again. Every answer is a 201 or a prompt 503, the server lives on, it records
again within 5 s of the database's return, and every trade that got a 201 is in the
ledger with a valid inclusion proof. Then SIGTERM arrives while requests are in flight:
they complete, and the process exits cleanly.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from app.core import embedded, migrate
from app.ledger import merkle
from tests.e2e.test_serve import BIN, clean_env, free_port
from tests.factories import merchant_body

pytestmark = pytest.mark.e2e

DIGEST = hashlib.sha256(b"fault contract").hexdigest()
CONNECT_TIMEOUT = 1.0


class Database:
    """The private server, stopped and started with pgserver's own pg_ctl."""

    def __init__(self, root: Path) -> None:
        self.url = embedded.start(root, cleanup="stop")
        from pgserver._commands import pg_ctl
        from pgserver.postgres_server import get_server

        self.pg_ctl = pg_ctl
        self.server: Any = get_server((root / "pgdata").resolve())
        self.pgdata = self.server.pgdata
        self.socket_dir = parse_qs(urlparse(self.url).query)["host"][0]

    def stop(self) -> None:
        self.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.server.system_user)

    def start(self) -> None:
        args = ["-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.server.log)]
        self.pg_ctl([*args, "start"], pgdata=self.pgdata, user=self.server.system_user)


@dataclass
class Outcome:
    status: int
    started: float
    seconds: float
    trade: dict[str, Any] | None = None


@dataclass
class Load:
    base: str
    headers: dict[str, str]
    body: dict[str, Any]
    outcomes: list[Outcome] = field(default_factory=list)
    running: bool = True

    async def client(self) -> None:
        async with httpx.AsyncClient(base_url=self.base, timeout=30) as http:
            n = 0
            while self.running:
                n += 1
                started = time.monotonic()
                try:
                    response = await http.post(
                        "/v1/transactions",
                        json={**self.body, "amount": f"{n}.00"},
                        headers={**self.headers, "Idempotency-Key": os.urandom(8).hex()},
                    )
                except httpx.HTTPError:
                    self.outcomes.append(Outcome(0, started, time.monotonic() - started))
                    continue
                outcome = Outcome(response.status_code, started, time.monotonic() - started)
                if response.status_code == 201:
                    outcome.trade = response.json()
                else:
                    await asyncio.sleep(0.05)
                self.outcomes.append(outcome)


def _serve(url: str, data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = clean_env(
        SHUSHANG_DATABASE_URL=url,
        SHUSHANG_DATA_DIR=str(data_dir),
        SHUSHANG_RATE_LIMIT_PER_MINUTE="0",
        SHUSHANG_DB_CONNECT_TIMEOUT_SECONDS=str(CONNECT_TIMEOUT),
        SHUSHANG_DB_POOL_TIMEOUT_SECONDS=str(CONNECT_TIMEOUT),
        SHUSHANG_LOG_LEVEL="ERROR",
    )
    log = (data_dir.parent / "serve.log").open("a")
    process = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, (data_dir.parent / "serve.log").read_text()
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "serve did not start"
        time.sleep(0.2)


def _key(url: str, data_dir: Path) -> str:
    env = clean_env(SHUSHANG_DATABASE_URL=url, SHUSHANG_DATA_DIR=str(data_dir))
    made = subprocess.run(
        [str(BIN), "keys", "create", "--role", "operator", "--name", "faults"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return made.stdout.strip().splitlines()[-1]


async def _proven(http: httpx.AsyncClient, trades: list[dict[str, Any]]) -> None:
    head = (await http.get("/v1/ledgers/OTC/tree-head")).json()
    root = bytes.fromhex(head["root_hash"])
    indices = sorted(t["leaf_index"] for t in trades)
    assert len(set(indices)) == len(indices), "two 201s share a leaf"
    for trade in trades:
        stored = await http.get(f"/v1/transactions/{trade['id']}")
        assert stored.status_code == 200, trade["id"]
        index = trade["leaf_index"]
        entry = (await http.get(f"/v1/ledgers/OTC/entries/{index}")).json()
        assert entry["entry"]["trade_id"] == trade["id"]
        proof = (
            await http.get(
                "/v1/ledgers/OTC/proofs/inclusion",
                params={"index": index, "tree_size": head["tree_size"]},
            )
        ).json()
        leaf = merkle.leaf_hash(entry["entry_canonical"].encode())
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        assert merkle.verify_inclusion(index, head["tree_size"], leaf, path, root), index


async def test_the_database_stops_under_load_and_nothing_acknowledged_is_lost(
    tmp_path: Path,
) -> None:
    database = Database(tmp_path / "db")
    await asyncio.to_thread(migrate.upgrade, database.url)
    process, base = _serve(database.url, tmp_path / "data")
    try:
        headers = {"Authorization": f"Bearer {_key(database.url, tmp_path / 'data')}"}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
            seller = (await http.post("/v1/merchants", json=merchant_body())).json()
            buyer = (await http.post("/v1/merchants", json=merchant_body())).json()
            load = Load(
                base,
                headers,
                {
                    "venue_code": "OTC",
                    "on_venue": False,
                    "seller_merchant_id": seller["id"],
                    "buyer_merchant_id": buyer["id"],
                    "contract_digest": DIGEST,
                    "occurred_at": "2026-11-24T10:00:00+08:00",
                },
            )
            clients = [asyncio.create_task(load.client()) for _ in range(8)]
            await asyncio.sleep(1.5)
            await asyncio.to_thread(database.stop)
            stopped = time.monotonic()
            await asyncio.sleep(3)
            await asyncio.to_thread(database.start)
            back = time.monotonic()
            await asyncio.sleep(6)
            load.running = False
            await asyncio.gather(*clients)

            statuses = {o.status for o in load.outcomes}
            assert statuses <= {201, 503}, (tmp_path / "serve.log").read_text()[-3000:]
            during = [o for o in load.outcomes if stopped + 0.5 < o.started < back - 0.5]
            assert during and all(o.status == 503 for o in during)
            # Answered within the configured timeouts, never hanging on a dead database.
            assert max(o.seconds for o in during) < 3 * CONNECT_TIMEOUT + 1
            recovered = min(
                o.started + o.seconds for o in load.outcomes if o.status == 201 and o.started > back
            )
            assert recovered - back < 5, f"recorded again {recovered - back:.1f} s after"
            assert process.poll() is None, "the server died"
            acknowledged = [o.trade for o in load.outcomes if o.trade is not None]
            assert len(acknowledged) > 20
            await _proven(http, acknowledged)
            assert (await http.get("/readyz")).status_code == 200

            # SIGTERM with requests in flight: they complete, then the process exits.
            body = {**load.body, "amount": "1.00"}
            in_flight = [
                asyncio.create_task(
                    http.post(
                        "/v1/transactions",
                        json=body,
                        headers={"Idempotency-Key": f"drain-{n}"},
                    )
                )
                for n in range(10)
            ]
            await asyncio.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            answers = await asyncio.gather(*in_flight, return_exceptions=True)
            completed = [a for a in answers if isinstance(a, httpx.Response)]
            assert completed and all(a.status_code == 201 for a in completed), answers
            assert await asyncio.to_thread(process.wait, 30) == 0
        process, base = _serve(database.url, tmp_path / "data")
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
            await _proven(http, [a.json() for a in completed])
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
        # Started again by hand, the private server is no longer pgserver's to stop.
        await asyncio.to_thread(database.stop)

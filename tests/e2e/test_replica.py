"""The service against a real primary and hot standby (app/core/standby.py: `pg_basebackup -R`
from the embedded server's binaries, a second `postgres` on its own socket): reads come from
the standby, fall back to the primary when it lags, and its loss fails no request."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from app.core import migrate
from app.core.config import Settings
from app.core.standby import STANDBY_PORT, Replication, replicated
from app.main import create_app
from app.web.replica import ReadReplica, stop
from tests.trades.conftest import Parties

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

MAX_LAG = 1.0


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replication]:
    with replicated(tmp_path_factory.mktemp("replication"), durable=False) as running:
        migrate.upgrade(running.primary_url)
        running.caught_up()
        yield running


@pytest.fixture
async def service(pair: Replication, tmp_path: Path) -> AsyncIterator[FastAPI]:
    settings = Settings(
        database_url=pair.primary_url,
        read_database_url=pair.standby_url,
        read_max_lag_seconds=MAX_LAG,
        read_check_interval_seconds=0.1,
        rate_limit_per_minute=0,
        anonymous_rate_limit_per_minute=0,
        log_format="console",
        data_dir=tmp_path,
    )
    app = create_app(settings)
    watcher = asyncio.create_task(app.state.replica.watch_forever())  # as the lifespan does
    try:
        yield app
    finally:
        await stop(watcher)
        await app.state.replica.dispose()
        await app.state.engine.dispose()


async def until(condition: object, what: str, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not (condition() if callable(condition) else condition):
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        await asyncio.sleep(0.05)


def fallbacks(reason: str) -> float:
    value = REGISTRY.get_sample_value("shushang_read_fallbacks_total", {"reason": reason})
    return value or 0.0


def in_use() -> float | None:
    return REGISTRY.get_sample_value("shushang_read_replica_in_use")


async def trade_ids(client: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    found: set[str] = set()
    cursor: str | None = None
    while True:
        params = {"limit": "200", **({"cursor": cursor} if cursor else {})}
        page = await client.get("/v1/transactions", params=params, headers=headers)
        assert page.status_code == 200, page.text
        found |= {item["id"] for item in page.json()["items"]}
        cursor = page.json()["next_cursor"]
        if not cursor:
            return found


async def test_reads_from_the_standby_fall_back_on_lag_and_survive_its_loss(
    pair: Replication, service: FastAPI
) -> None:
    replica: ReadReplica = service.state.replica
    transport = httpx.ASGITransport(app=service, raise_app_exceptions=False)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://shushang.test") as client,
        service.state.sessionmaker() as session,
    ):
        parties = await Parties().setup(client, session)
        first = await parties.record()
        assert first.status_code == 201, first.text
        await asyncio.to_thread(pair.caught_up)
        await until(lambda: replica.usable, "the standby to be in use")
        assert in_use() == 1
        # The standby has replayed past the trade's commit; it was seen to show the row up
        # to ~0.4 s later under load, so the first read may wait for it (still the standby's).
        shown: set[str] = set()

        async def standby_shows_it() -> bool:
            shown.update(await trade_ids(client, parties.auditor))
            return first.json()["id"] in shown

        deadline = time.monotonic() + 10
        while not await standby_shows_it():
            assert time.monotonic() < deadline, "the standby never showed the trade"
            await asyncio.sleep(0.05)
        # The standby serves: its client connections are the service's.
        connected = pair.psql(
            STANDBY_PORT,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'shushang'",
        )
        assert int(connected) >= 1

        # Replay paused: a trade recorded now is on the primary only. Within the lag allowed
        # (held high here, so that a slow machine cannot fall back yet), the auditor's list
        # (a replica read) does not show it: it came from the standby.
        replica.max_lag = 600.0
        await asyncio.to_thread(pair.pause_replay)
        try:
            second = await parties.record()
            assert second.status_code == 201, second.text
            made = second.json()
            before = fallbacks("behind")
            assert made["id"] not in await trade_ids(client, parties.auditor)
            assert replica.usable
            # A keyed caller reads one trade on the primary: its own write is there.
            one = await client.get(f"/v1/transactions/{made['id']}", headers=parties.seller_key)
            assert one.status_code == 200, one.text
            # A proof of the new leaf, for the tree that includes it: the standby has no
            # such tree, so the read goes to the primary rather than a 404 or an old tree.
            leaf = made["leaf_index"]
            proof = await client.get(
                "/v1/ledgers/OTC/proofs/inclusion",
                params={"index": leaf, "tree_size": leaf + 1},
            )
            assert proof.status_code == 200, proof.text
            entry = await client.get(f"/v1/ledgers/OTC/entries/{leaf}")
            assert entry.status_code == 200, entry.text
            assert fallbacks("behind") == before + 2

            # Past the lag allowed, every read goes to the primary, and the metric says so.
            replica.max_lag = MAX_LAG
            await until(lambda: replica.reason == "lag", "the lag to be noticed")
            assert in_use() == 0
            before = fallbacks("lag")
            assert made["id"] in await trade_ids(client, parties.auditor)
            assert fallbacks("lag") > before
            metrics = await client.get("/metrics", headers=parties.auditor)
            assert "shushang_read_replica_in_use 0.0" in metrics.text
            assert 'shushang_read_fallbacks_total{reason="lag"}' in metrics.text
        finally:
            await asyncio.to_thread(pair.resume_replay)

        # Caught up again, the standby serves again, with the trade.
        await until(lambda: replica.usable, "the standby to be in use again")
        lag_fallbacks = fallbacks("lag")
        assert made["id"] in await trade_ids(client, parties.auditor)
        assert fallbacks("lag") == lag_fallbacks
        assert in_use() == 1

        # The standby is lost while in use: no request fails. Those that find it gone are
        # retried on the primary; the first failure stops its use at once. (The watcher is
        # held off, so that requests, not a check, are the first to find it gone.)
        replica.interval = 3600.0
        await asyncio.sleep(0.3)
        assert replica.usable
        errors_before = fallbacks("error")
        await asyncio.to_thread(pair.stop_standby, "immediate")
        anonymous = [
            "/v1/venues",
            "/v1/venues/OTC",
            "/v1/catalog",
            "/v1/merchants",
            f"/v1/ledgers/OTC/proofs/inclusion?index=0&tree_size={leaf + 1}",
            "/v1/ledgers/OTC/tile/0/000.p/" + str(leaf + 1),
            f"/v1/ledgers/OTC/leaf-hashes?start=0&end={leaf + 1}",
        ]
        keyed = ["/v1/transactions", "/v1/transactions/export", "/v1/stats/overview"]
        answers = await asyncio.gather(
            *[client.get(path) for path in anonymous * 3],
            *[client.get(path, headers=parties.auditor) for path in keyed * 3],
        )
        assert [a.status_code for a in answers] == [200] * len(answers), [
            (a.request.url.path, a.status_code, a.text[:200]) for a in answers if a.is_error
        ]
        assert fallbacks("error") > errors_before
        assert not replica.usable
        assert replica.reason == "down"
        assert in_use() == 0
        third = await parties.record()
        assert third.status_code == 201, third.text
        assert third.json()["id"] in await trade_ids(client, parties.auditor)
        export = await client.get("/v1/transactions/export", headers=parties.auditor)
        assert export.status_code == 200
        assert str(uuid.UUID(third.json()["id"])) in export.text

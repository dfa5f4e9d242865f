"""Read-only routes without a replica, or with one that cannot be used: they read the
primary in autocommit (no BEGIN/COMMIT), never hold two of its connections, and say why they
did not read the replica. The replica itself: tests/e2e/test_replica.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from prometheus_client import REGISTRY
from sqlalchemy import event
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.roles import Role
from app.main import create_app
from app.web.deps import get_public_read_session, get_read_session
from app.web.replica import ReplicaAwareRoute
from tests.factories import auth, make_key


@pytest.fixture
async def make_app(settings: Settings) -> AsyncIterator[Any]:
    made: list[FastAPI] = []

    def make(**changes: Any) -> FastAPI:
        app = create_app(settings.model_copy(update=changes))
        made.append(app)
        return app

    yield make
    for app in made:
        await app.state.replica.dispose()
        await app.state.engine.dispose()


def client_of(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://shushang.test")


def statements_of(app: FastAPI) -> list[str]:
    """Every statement the app's connections send from now on, as the server gets them."""
    sent: list[str] = []

    def on_connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda q: sent.append(q.query))

    event.listen(app.state.engine.sync_engine, "connect", on_connect)
    return sent


def transaction_statements(sent: list[str]) -> list[str]:
    return [s for s in sent if s.split()[0].rstrip(";").upper() in ("BEGIN", "COMMIT", "ROLLBACK")]


async def test_reads_send_no_begin_or_commit(make_app: Any, session: Any) -> None:
    app = make_app()
    sent = statements_of(app)
    auditor = auth(await make_key(session, Role.auditor))
    operator = auth(await make_key(session, Role.operator))
    async with client_of(app) as client:
        for path, headers in [
            ("/v1/venues", {}),
            ("/v1/venues/OTC", {}),
            ("/v1/venues/OTC", operator),  # a keyed caller's single resource: the primary's
            ("/v1/catalog", {}),
            ("/v1/transactions", auditor),
            ("/v1/transactions/export", auditor),  # the COPY's own transaction, for its zone
            ("/v1/stats/overview", auditor),
            ("/v1/ledgers/OTC/leaf-hashes?start=0&end=0", {}),
        ]:
            answer = await client.get(path, headers=headers)
            assert answer.status_code in (200, 422), (path, answer.text)
        # The export's COPY is the only transaction: it sets its own time zone.
        assert transaction_statements(sent) == ["BEGIN;", "COMMIT;"], sent
        sent.clear()
        # A write still has its transaction and commit point.
        created = await client.post(
            "/v1/venues",
            json={"code": "TESTRV", "name": "读库测试交易所", "fee_rate": "0.01"},
            headers=operator,
        )
        assert created.status_code == 201, created.text
        assert any(s.upper().startswith("COMMIT") for s in transaction_statements(sent)), sent


async def test_a_read_holds_one_connection_of_the_pool(make_app: Any, session: Any) -> None:
    """Authentication's key lookup and the route's reads share the request's one primary
    connection: with a pool of one, an authenticated read does not wait for a second."""
    app = make_app(db_pool_size=1, db_pool_timeout_seconds=1.0)
    auditor = auth(await make_key(session, Role.auditor))
    async with client_of(app) as client:
        for path in ("/v1/transactions", "/v1/stats/overview", "/v1/transactions/export"):
            answer = await client.get(path, headers=auditor)
            assert answer.status_code == 200, (path, answer.text)


def fallbacks(reason: str) -> float:
    value = REGISTRY.get_sample_value("shushang_read_fallbacks_total", {"reason": reason})
    return value or 0.0


async def test_a_replica_that_is_away_is_not_used(make_app: Any, tmp_path: Any) -> None:
    app = make_app(
        read_database_url=f"postgresql+asyncpg://postgres@/shushang?host={tmp_path}",
        db_connect_timeout_seconds=1.0,
    )
    replica = app.state.replica
    async with client_of(app) as client:
        before = fallbacks("starting")
        assert (await client.get("/v1/venues")).status_code == 200
        assert fallbacks("starting") == before + 1
        await replica.check()
        assert (replica.usable, replica.reason) == (False, "down")
        before = fallbacks("down")
        assert (await client.get("/v1/venues")).status_code == 200
        assert fallbacks("down") == before + 1
    assert REGISTRY.get_sample_value("shushang_read_replica_in_use") == 0


async def test_a_server_that_is_not_a_standby_is_not_used(make_app: Any, database_url: str) -> None:
    """A promoted or unrelated server's rows are not the primary's: not read."""
    app = make_app(read_database_url=database_url)
    await app.state.replica.check()
    assert (app.state.replica.usable, app.state.replica.reason) == (False, "not_standby")
    async with client_of(app) as client:
        before = fallbacks("not_standby")
        assert (await client.get("/v1/catalog")).status_code == 200
        assert fallbacks("not_standby") == before + 1


def test_the_setting_takes_plain_postgres_urls() -> None:
    settings = Settings(read_database_url="postgres://reader@replica.internal/shushang")
    assert settings.read_database_url == "postgresql+asyncpg://reader@replica.internal/shushang"
    assert settings.read_max_lag_seconds == 5.0


def test_every_route_that_reads_a_replica_retries_on_the_primary(app: FastAPI) -> None:
    """A route reading `ReadSession` without `ReplicaAwareRoute` would answer 503 when the
    replica fails mid-request instead of reading the primary."""
    readers = {get_read_session, get_public_read_session}

    def reads(dependant: Any) -> bool:
        return dependant.call in readers or any(reads(d) for d in dependant.dependencies)

    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    for included in app.routes:
        routes += [
            r for r in getattr(included, "original_router", APIRouter()).routes
            if isinstance(r, APIRoute)
        ]  # fmt: skip
    reading = [r for r in routes if reads(r.dependant)]
    assert len(reading) > 40
    assert [r.path for r in reading if not isinstance(r, ReplicaAwareRoute)] == []


async def test_a_read_run_again_on_the_primary_takes_one_token(
    make_app: Any, session: Any, database_url: str
) -> None:
    """A replica that fails mid-request (here: a database without Shushang's tables) makes
    the request run again on the primary: the caller's key is looked up once, and its
    rate limit counts the request once."""
    import asyncpg

    plain = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    empty = "shushang_not_a_replica"
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {empty}")
        await connection.execute(f"CREATE DATABASE {empty}")
    finally:
        await connection.close()
    replica_url = make_url(database_url).set(database=empty)
    app = make_app(
        read_database_url=replica_url.render_as_string(hide_password=False),
        rate_limit_per_minute=3,
    )
    app.state.replica._mark(True, None)  # as a check that found it a standby would
    token = await make_key(session, Role.auditor)
    async with client_of(app) as client:
        answers = [
            (await client.get("/v1/transactions", headers=auth(token))).status_code
            for _ in range(4)
        ]
    assert answers == [200, 200, 200, 429]

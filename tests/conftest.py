"""Test fixtures: one real PostgreSQL per session, migrated from empty, reset after each test.

The database is the embedded `pgserver` one in a temporary directory, or the server named
by `TEST_DATABASE_URL` (its database is wiped: give the tests a database of their own).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from hypothesis import settings as hypothesis_settings
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from app.core import embedded, migrate
from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker
from app.core.roles import Role
from app.demo import loader
from app.demo.loader import Loaded
from app.main import create_app
from app.wiring import register as register_wiring
from tests.e2e.browser import chromium  # noqa: F401 - a fixture for the page tests
from tests.e2e.threads import served
from tests.factories import make_key
from tests.snapshot import Snapshot
from tests.snapshot import table_names as _tables

SEED_SCHEMA = "test_seed"
DEMO_SCHEMA = "test_demo"

# No per-example wall-clock deadline (Hypothesis' default is 200 ms): on a loaded machine a
# process descheduled for a moment fails a microsecond example as "Unreliable test timings"
# (a flake, seen on tests/trades/test_entries.py). What the properties check is unchanged;
# a test that hangs is still stopped by pytest-timeout.
hypothesis_settings.register_profile("shushang", deadline=None)
hypothesis_settings.load_profile("shushang")

# Tests call services directly too, not only through create_app: wire the domains once.
register_wiring()


def _plain(url: str) -> str:
    """The asyncpg form of a SQLAlchemy URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _prepare(url: str, embedded_server: bool) -> None:
    connection = await asyncpg.connect(_plain(url))
    try:
        if embedded_server:
            # Durability is the server's business, not the tests': make commits cheap.
            for setting in ("fsync = off", "synchronous_commit = off", "full_page_writes = off"):
                await connection.execute(f"ALTER SYSTEM SET {setting}")
            await connection.execute("SELECT pg_reload_conf()")
        await connection.execute(f"DROP SCHEMA IF EXISTS {SEED_SCHEMA} CASCADE")
        await connection.execute(f"CREATE SCHEMA {SEED_SCHEMA}")
        # Keep what the migrations seeded, to restore it after every test.
        for table in await _tables(connection):
            await connection.execute(
                f'CREATE TABLE {SEED_SCHEMA}."{table}" AS SELECT * FROM public."{table}"'
            )
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        url = Settings(database_url=external).database_url
        assert url
    else:
        data_dir: Path = tmp_path_factory.mktemp("pg")
        url = embedded.start(data_dir, database="shushang_test", cleanup="delete")
    migrate.upgrade(url)
    asyncio.run(_prepare(url, embedded_server=not external))
    return url


@pytest.fixture(scope="session")
async def reset_sql(database_url: str) -> str:
    connection = await asyncpg.connect(_plain(database_url))
    try:
        tables = await _tables(connection)
        seeded = [
            t
            for t in tables
            if await connection.fetchval(f'SELECT count(*) FROM {SEED_SCHEMA}."{t}"')
        ]
    finally:
        await connection.close()
    statements = ["TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"]
    statements += [f'INSERT INTO "{t}" SELECT * FROM {SEED_SCHEMA}."{t}"' for t in seeded]
    return ";\n".join(statements)


@pytest.fixture(autouse=True)
async def _reset_database(database_url: str, seeds: Snapshot) -> AsyncIterator[None]:
    yield
    connection = await asyncpg.connect(_plain(database_url))
    try:
        await seeds.restore(connection)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
async def seeds(database_url: str) -> Snapshot:
    """What the migrations seeded: every test starts from it."""
    connection = await asyncpg.connect(_plain(database_url))
    try:
        return await Snapshot.take(connection, SEED_SCHEMA, copy=False)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
async def _demo_snapshot(
    session_settings: Settings, database_url: str, seeds: Snapshot
) -> tuple[Snapshot, Loaded]:
    """The demo world (`shushang demo`), loaded once per session on a fresh database and
    kept in a schema of its own; what that load counted. On an engine of its own and the
    session's settings, so a module that changes `settings` (tests/test_schemathesis.py)
    may ask for it too."""
    connection = await asyncpg.connect(_plain(database_url))
    engine = create_engine(session_settings, database_url, poolclass=NullPool)
    try:
        await seeds.restore(connection)
        loaded = await loader.load(create_sessionmaker(engine), session_settings)
        return await Snapshot.take(connection, DEMO_SCHEMA, copy=True), loaded
    finally:
        await engine.dispose()
        await connection.close()


@pytest.fixture
async def demo_world(database_url: str, _demo_snapshot: tuple[Snapshot, Loaded]) -> Loaded:
    """The database as `shushang demo` (`loader.load`) leaves a fresh one, for this test
    alone, and what that load counted: a copy of the session's one load from empty, put
    back in well under a second (and reset after the test as usual)."""
    snapshot, loaded = _demo_snapshot
    connection = await asyncpg.connect(_plain(database_url))
    try:
        await snapshot.restore(connection)
    finally:
        await connection.close()
    return dataclasses.replace(loaded)


@pytest.fixture(scope="session")
def session_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        rate_limit_per_minute=0,
        anonymous_rate_limit_per_minute=0,
        log_format="console",
        data_dir=tmp_path_factory.mktemp("data"),
    )


@pytest.fixture(scope="session")
def settings(session_settings: Settings) -> Settings:
    """The tests' settings (a module may override it, as tests/test_schemathesis.py does)."""
    return session_settings


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shushang.test") as c:
        yield c


@pytest.fixture
async def session(app: FastAPI) -> AsyncIterator[AsyncSession]:
    """A session for building test data; factories commit what they make."""
    factory: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    async with factory() as s:
        yield s


@pytest.fixture(scope="module")
def live_url(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn in a background thread (its own loop and engine)."""
    with served(create_app(settings)) as url:
        yield url


@pytest.fixture
def operator_token(database_url: str, settings: Settings) -> str:
    """An operator key, made on an engine of its own (for the live server's tests)."""

    async def make() -> str:
        engine = create_engine(settings, database_url, poolclass=NullPool)
        try:
            async with create_sessionmaker(engine)() as session:
                return await make_key(session, Role.operator)
        finally:
            await engine.dispose()

    return asyncio.run(make())

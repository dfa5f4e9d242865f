"""Migrations: upgrade from empty and back, and the models match the last revision."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.core import migrate
from app.models import Base

SCRATCH = "shushang_migration_test"


def _scratch_url(database_url: str) -> str:
    base, _, query = database_url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + SCRATCH + (("?" + query) if query else "")


async def _recreate(database_url: str) -> None:
    connection = await asyncpg.connect(
        database_url.replace("postgresql+asyncpg://", "postgresql://")
    )
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {SCRATCH}")
    finally:
        await connection.close()


async def _diff(url: str) -> list[Any]:
    engine = create_async_engine(url)

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r["tablename"] for r in rows}
    finally:
        await connection.close()


def test_upgrade_from_empty_downgrade_and_again(database_url: str) -> None:
    asyncio.run(_recreate(database_url))
    url = _scratch_url(database_url)
    migrate.upgrade(url)
    assert asyncio.run(_diff(url)) == [], "models differ from the migrations: add a revision"
    assert {"merchant", "venue", "api_key", "audit_event"} <= asyncio.run(_tables(url))
    migrate.downgrade(url, "base")
    assert asyncio.run(_tables(url)) == {"alembic_version"}
    migrate.upgrade(url)
    assert asyncio.run(_diff(url)) == []

"""Database: the declarative base with its naming convention, the engine and the session factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import uuid_utils.compat as uuid_compat
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from app.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def new_id() -> UUID:
    """A time-ordered UUIDv7, so primary keys index well and sort by creation."""
    return uuid_compat.uuid7()


def utcnow() -> datetime:
    return datetime.now(UTC)


def create_engine(settings: Settings, url: str, **overrides: Any) -> AsyncEngine:
    """The one engine of a process.

    Timeouts are short enough that a database that is away gives a 503, not a hang.
    """
    options: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout_seconds,
        "pool_pre_ping": False,
        "connect_args": {
            "timeout": settings.db_connect_timeout_seconds,
            "command_timeout": settings.db_statement_timeout_seconds,
            "server_settings": {"application_name": "shushang", "timezone": "UTC"},
        },
    }
    if "poolclass" in overrides:  # e.g. NullPool, which takes no sizes
        for pool_option in ("pool_size", "max_overflow", "pool_timeout"):
            options.pop(pool_option)
    options.update(overrides)
    return create_async_engine(url, **options)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def driver(session: AsyncSession) -> Any:
    """The asyncpg connection under `session`, for the few hot paths that skip the ORM
    (authentication, recording trades, appending to a ledger).

    Its statements run in the session's transaction once the session has begun one (any ORM
    statement begins it); before that each runs on its own, which suits a read.
    """
    return await driver_of(await session.connection())


async def driver_of(connection: AsyncConnection) -> Any:
    """The asyncpg connection under a SQLAlchemy connection."""
    return (await connection.get_raw_connection()).driver_connection


@asynccontextmanager
async def unit_of_work(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose work commits when the block ends (rolls back if it raises): the
    commit point of work that is not a request (commands, the expiry sweep, webhook delivery; the
    trade committer commits its own driver transaction). Requests
    commit in `app.deps.get_session`."""
    async with factory() as session:
        yield session
        await session.commit()

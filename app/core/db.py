"""Database: the declarative base with its naming convention, the engine and the session
factory, the driver's statements, and the database failure checks (`is_database_unavailable`:
"the database is away", a 503; `sqlstate`) that the engine, the handlers and the trade lane
share."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import uuid_utils.compat as uuid_compat
from sqlalchemy import MetaData, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from app.core.config import Settings

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


def columns(rows: Sequence[object], names: Sequence[str]) -> list[list[Any]]:
    """`rows` as one list per attribute named: the arrays a set-based statement unnests
    (`INSERT … SELECT * FROM unnest($1::uuid[], …)`)."""
    return [[getattr(row, name) for row in rows] for name in names]


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
        # A failed statement's parameters are the clients' data (contact e-mails, contract
        # digests, tokens' hashes): never in an exception's text, so never in a log line.
        "hide_parameters": True,
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
    engine = create_async_engine(url, **options)
    event.listen(engine.sync_engine, "handle_error", _lost_connections_are_disconnects)
    return engine


def _lost_connections_are_disconnects(context: ExceptionContext) -> None:
    """A statement that finds the database shut down (57P01 and kin) leaves its connection
    unusable, though the driver does not say "disconnect": say it, so SQLAlchemy drops the
    connection (and the pool's older ones) instead of handing it out again."""
    if not context.is_disconnect and is_database_unavailable(context.original_exception):
        context.is_disconnect = True


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class Driver:
    """The asyncpg connection under a SQLAlchemy connection, for the few hot paths that skip
    the ORM (authentication, recording trades, appending to a ledger, emitting events).

    A statement that fails other than by the server's refusal (the database gone, the
    request cancelled mid-statement) invalidates the pooled connection, as the ORM does, so
    the pool never hands out a dead or half-used connection.
    """

    def __init__(self, connection: AsyncConnection, raw: Any) -> None:
        self._connection = connection
        self._raw = raw

    async def _guarded(self, statement: Awaitable[Any]) -> Any:
        try:
            return await statement
        except BaseException as exc:
            refused = (  # the server refused the statement; the connection is fine
                isinstance(exc, asyncpg.PostgresError)
                and not is_database_unavailable(exc)
                and not self._raw.is_closed()
            )
            # Otherwise it was lost, shut down or interrupted mid-statement: its state is
            # unknown, and it must not go back to the pool.
            if not refused and not self._connection.invalidated:
                reason = exc if isinstance(exc, Exception) else None
                await asyncio.shield(self._connection.invalidate(reason))
            raise

    async def fetchrow(self, query: str, *args: Any) -> Any:
        return await self._guarded(self._raw.fetchrow(query, *args))

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        rows: list[Any] = await self._guarded(self._raw.fetch(query, *args))
        return rows

    async def fetchval(self, query: str, *args: Any) -> Any:
        return await self._guarded(self._raw.fetchval(query, *args))

    async def execute(self, query: str, *args: Any) -> Any:
        return await self._guarded(self._raw.execute(query, *args))

    async def executemany(self, query: str, rows: list[Any]) -> None:
        await self._guarded(self._raw.executemany(query, rows))

    def is_in_transaction(self) -> bool:
        return bool(self._raw.is_in_transaction())

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """A transaction of its own (the trade committer's), committed when the block ends."""
        transaction = self._raw.transaction()
        await self._guarded(transaction.start())
        try:
            yield
        except BaseException:
            if not self._connection.invalidated:
                await self._guarded(transaction.rollback())
            raise
        await self._guarded(transaction.commit())


async def driver(session: AsyncSession) -> Driver:
    """The driver connection under `session`. Its statements run in the session's
    transaction once the session has begun one (any ORM statement begins it); before that
    each runs on its own, which suits a read."""
    return await driver_of(await session.connection())


async def driver_of(connection: AsyncConnection) -> Driver:
    return Driver(connection, (await connection.get_raw_connection()).driver_connection)


@asynccontextmanager
async def unit_of_work(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose work commits when the block ends (rolls back if it raises): the
    commit point of work that is not a request (commands, the expiry sweep, webhook delivery; the
    trade committer commits its own driver transaction). Requests
    commit in `app.web.deps.get_session`."""
    async with factory() as session:
        yield session
        await session.commit()


# The database failure checks: which exceptions mean "the database is away" (503, and a
# pooled connection dropped), and the SQLSTATE of an error however deeply it is wrapped.
_DATABASE_DOWN: tuple[type[BaseException], ...] = (
    sa_exc.TimeoutError,  # pool exhausted past db_pool_timeout_seconds
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.InterfaceError,
    # A pooled connection the server went away from in the middle of an operation: asyncpg
    # refuses the next one on it ("another operation is in progress"). It is dropped
    # (`Driver._guarded` above) and the request answered 503 like the others of the outage.
    asyncpg.exceptions.InternalClientError,
)


def _raised_in_driver(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.startswith(("asyncpg", "sqlalchemy")):
            return True
        tb = tb.tb_next
    return False


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether an exception means "the database is not there", rather than a bug of ours."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, _DATABASE_DOWN):
            return True
        # A refused or vanished socket (OSError) or a connect timeout counts only when the
        # driver raised it; elsewhere the same exception is a bug of ours.
        if isinstance(current, OSError | TimeoutError) and _raised_in_driver(current):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error, however deeply the driver wrapped it."""
    current: BaseException | None = exc
    for _ in range(4):
        if current is None:
            return None
        code = getattr(current, "sqlstate", None)
        if isinstance(code, str):
            return code
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return None


# Text a client sent that PostgreSQL cannot store: NUL characters, invalid UTF-8.
UNSTORABLE_TEXT = {"22021", "22P05"}

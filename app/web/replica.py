"""Reads from a streaming replica (`SHUSHANG_READ_DATABASE_URL`): where a read-only request
reads, how the replica's health and lag are watched, and how a read falls back to the primary.

Read-only routes take `app.web.deps.ReadSession` (or `PublicReadSession`). Each request reads
the replica while `ReadReplica.usable` says so; otherwise, and always when no replica is
configured, it reads the primary. Either way the read runs in autocommit: no BEGIN and no
COMMIT round trip around statements that change nothing.

- `ReadReplica.check` (every `SHUSHANG_READ_CHECK_INTERVAL_SECONDS`, `watch_forever`)
  compares the replica's replayed WAL position with the positions the primary had flushed
  at earlier checks: the lag is the age of the oldest position the replica has not replayed
  yet. It never trusts `pg_last_xact_replay_timestamp()`, which grows while the primary is
  merely idle. A replica that does not answer, is not in recovery or lags past
  `SHUSHANG_READ_MAX_LAG_SECONDS` is not used until a later check finds it well.
- A request that fails on the replica mid-way (it died, a statement was cancelled by
  recovery) is run again on the primary (`ReplicaAwareRoute`), so the replica's loss fails
  no request; a failure that says the replica is gone marks it unusable at once.
- A ledger read beyond the tree the replica has received switches its session to the
  primary (`read_on_primary`), so no proof, entry or tile is refused for lag.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.commit import BeforeCommitRoute
from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker, driver_of, is_database_unavailable
from app.core.errors import Answered, ShushangError
from app.core.metrics import READ_FALLBACKS, READ_REPLICA_IN_USE, READ_REPLICA_LAG
from app.web._fastapi_compat import function_stack_per_try

logger = logging.getLogger("shushang.replica")

AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}

# Where a request's reads went, on `request.state` (the retry and the tests read it).
SOURCE = "read_source"
ON_PRIMARY = "read_on_primary"
# On a replica session's `info`: the request's primary session, for a read the replica
# cannot answer yet.
PRIMARY = "primary"
AUTOCOMMITTING = "autocommit"

# WAL positions as numbers (bytes since 0/0); asyncpg has no pg_lsn codec.
PRIMARY_POSITION = "SELECT pg_current_wal_flush_lsn() - '0/0'::pg_lsn"
REPLICA_POSITION = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() - '0/0'::pg_lsn"


class ReadReplica:
    """The replica's engine (autocommit: a replica takes no writes, so no transaction is
    worth its round trips) and what the last check found."""

    def __init__(self, settings: Settings, primary: AsyncEngine, url: str | None) -> None:
        self.primary = primary
        self.engine: AsyncEngine | None = (
            create_engine(settings, url, isolation_level="AUTOCOMMIT") if url else None
        )
        self.sessionmaker: async_sessionmaker[AsyncSession] | None = (
            create_sessionmaker(self.engine) if self.engine is not None else None
        )
        self.max_lag = settings.read_max_lag_seconds
        self.interval = settings.read_check_interval_seconds
        self.timeout = settings.db_connect_timeout_seconds + 1
        self.usable = False
        self.reason: str | None = "starting" if url else None
        self.lag_seconds: float | None = None
        # (monotonic time, primary's flushed WAL position) of recent checks, oldest first:
        # enough of them to tell a lag of twice the allowed, so the memory is bounded while
        # the replica stays away (and the lag reported saturates there).
        self._seen: deque[tuple[float, int]] = deque(
            maxlen=math.ceil(2 * self.max_lag / self.interval) + 2
        )
        READ_REPLICA_IN_USE.set(0)

    @property
    def configured(self) -> bool:
        return self.engine is not None

    def _mark(self, usable: bool, reason: str | None) -> None:
        if usable != self.usable or reason != self.reason:
            log = logger.info if usable else logger.warning
            log("read replica %s", "in use" if usable else f"not used: {reason}")
        self.usable, self.reason = usable, reason
        READ_REPLICA_IN_USE.set(1 if usable else 0)

    async def check(self) -> None:
        """Measure the replica once: is it there, is it a standby, how far behind is it."""
        if self.engine is None:
            return
        try:
            async with asyncio.timeout(self.timeout), self.primary.connect() as connection:
                flushed = int(await (await driver_of(connection)).fetchval(PRIMARY_POSITION))
        except Exception:  # the primary is away: nothing to compare with; keep the verdict
            logger.warning("read replica check: the primary does not answer")
            return
        now = time.monotonic()
        self._seen.append((now, flushed))
        try:
            async with asyncio.timeout(self.timeout), self.engine.connect() as connection:
                row = await (await driver_of(connection)).fetchrow(REPLICA_POSITION)
        except Exception as exc:
            logger.warning("read replica check failed: %s", type(exc).__name__)
            self._mark(False, "down")
            return
        in_recovery, replayed = row[0], row[1]
        if not in_recovery or replayed is None:
            # A promoted or unrelated server: its rows are not the primary's.
            self._mark(False, "not_standby")
            return
        replayed = int(replayed)
        # Positions the replica has replayed no longer matter; the oldest one left tells how
        # long the replica has been missing something the primary had flushed.
        while self._seen and self._seen[0][1] <= replayed:
            self._seen.popleft()
        self.lag_seconds = now - self._seen[0][0] if self._seen else 0.0
        READ_REPLICA_LAG.set(self.lag_seconds)
        if self.lag_seconds > self.max_lag:
            self._mark(False, "lag")
        else:
            self._mark(True, None)

    async def watch_forever(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # never let the watcher die: the next round tries again
                logger.exception("read replica check failed")
            await asyncio.sleep(self.interval)

    def failed(self, exc: BaseException) -> None:
        """A request failed on the replica: if the replica is gone, stop using it now
        rather than at the next check."""
        READ_FALLBACKS.labels("error").inc()
        if is_database_unavailable(exc):
            self._mark(False, "down")

    async def dispose(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()


def replica_of(request: Request) -> ReadReplica:
    replica: ReadReplica = request.app.state.replica
    return replica


async def autocommit(session: AsyncSession) -> AsyncSession:
    """`session` (the request's primary session) reading in autocommit from here on.

    Its connection so far goes back to the pool (`_release`), then one autocommit
    connection serves the rest, so a request never holds two connections of one pool (a
    pool of N would otherwise deadlock at N requests).
    """
    if session.info.get(AUTOCOMMITTING):
        return session
    await _release(session)
    await session.connection(execution_options=AUTOCOMMIT)
    session.info[AUTOCOMMITTING] = True
    return session


async def _release(primary: AsyncSession) -> None:
    """Give back the connection the request's primary session holds so far: that of
    authentication's key lookup, which ran on the driver outside any transaction (its
    rate-limit take included, so it stands). A read-only route has written nothing
    through the session, so ending it is a rollback, which sends nothing when no statement
    began a transaction; the request's commit point stays `app.web.deps.get_session`."""
    if primary.in_transaction():
        await primary.rollback()


async def read_session(
    request: Request, primary: AsyncSession, stack: AsyncExitStack, *, keyed_on_primary: bool
) -> AsyncSession:
    """The session a read-only request reads with: the replica's when it is usable (and,
    with `keyed_on_primary`, the caller is anonymous), else `primary` in autocommit."""
    replica = replica_of(request)
    state = request.state
    if replica.configured and not getattr(state, ON_PRIMARY, False):
        if keyed_on_primary and "authorization" in request.headers:
            pass  # a caller with a key reads what it may just have written
        elif replica.usable:
            assert replica.sessionmaker is not None
            await _release(primary)  # not needed while the replica answers
            session = await stack.enter_async_context(replica.sessionmaker())
            session.info[PRIMARY] = primary
            setattr(state, SOURCE, "replica")
            return session
        else:
            READ_FALLBACKS.labels(replica.reason or "down").inc()
    setattr(state, SOURCE, "primary")
    return await autocommit(primary)


async def read_on_primary(session: AsyncSession) -> bool:
    """If `session` reads a replica, make it read the primary for the rest of the request
    (a ledger read beyond the tree the replica has received); whether it switched."""
    primary = session.info.pop(PRIMARY, None)
    if primary is None:
        return False
    READ_FALLBACKS.labels("behind").inc()
    connection: AsyncConnection = await (await autocommit(primary)).connection()
    # Nothing is pending on a read session: closing it gives the replica's connection back
    # and leaves a session that can be bound anew.
    await session.close()
    session.sync_session.bind = connection.sync_connection
    return True


# Failures that are answers, not the replica's trouble: the primary would give the same.
_ANSWERS = (ShushangError, Answered, StarletteHTTPException, RequestValidationError)


class ReplicaAwareRoute(BeforeCommitRoute):
    """A route that, when it failed while reading the replica, is run once more with every
    read on the primary: the replica's loss costs a retry, never a failed request. (Its
    hooks before the commit, app/core/commit.py, run inside each try.)"""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                # The first try's function-scoped dependencies (its sessions) end with it,
                # so a failed try gives back its connections before the second begins.
                async with function_stack_per_try(request):
                    return await handler(request)
            except _ANSWERS:
                raise
            except Exception as exc:
                if getattr(request.state, SOURCE, None) != "replica":
                    raise
                logger.warning("read failed on the replica, retried on the primary: %r", exc)
                replica_of(request).failed(exc)
            setattr(request.state, ON_PRIMARY, True)
            setattr(request.state, SOURCE, "primary")
            async with function_stack_per_try(request):
                return await handler(request)

        return handle


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

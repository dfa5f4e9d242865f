"""Dependencies every router uses: the request's database session (the one commit point),
the session of read-only routes (a replica's, or the primary's in autocommit), and the
refusal of query parameters a route does not know."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Annotated

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.errors import ValidationFailed
from app.core.i18n import Text
from app.web._fastapi_compat import function_stack, query_parameter_names
from app.web.replica import read_session


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session and one transaction per request, committed before the response is sent.

    The dependency has `scope="function"`, so FastAPI leaves it right after the endpoint has
    returned and before a byte of the response goes out: a commit that fails becomes the
    error response, and a 2xx never reports a write that was lost. Services only flush.
    """
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with factory() as session:
        yield session
        await session.commit()


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_read_session(request: Request, session: Session) -> AsyncSession:
    """The session of a read-only route: the read replica's while it is usable
    (`SHUSHANG_READ_DATABASE_URL`, app/web/replica.py), else the request's primary session.
    Either way in autocommit: no BEGIN/COMMIT round trips for statements that write
    nothing. Nothing may be written through it. Lists and reports read it: they may lag the
    primary by up to `SHUSHANG_READ_MAX_LAG_SECONDS`."""
    return await read_session(request, session, _function_stack(request), keyed_on_primary=False)


async def get_public_read_session(request: Request, session: Session) -> AsyncSession:
    """As `get_read_session` for anonymous callers; a caller with a key reads the primary,
    so that it sees what it has just written (a resource it created, the ETag its next
    If-Match needs)."""
    return await read_session(request, session, _function_stack(request), keyed_on_primary=True)


def _function_stack(request: Request) -> AsyncExitStack:
    """Where a replica's session is closed: the exit stack of the route's function-scoped
    dependencies (one per try, `ReplicaAwareRoute`), which closes it right after the
    endpoint, before `get_session` commits, as a function-scoped generator dependency
    would. The read sessions are plain functions: FastAPI's machinery for a generator
    dependency cost every read more than the rest of choosing its session. (FastAPI keeps
    that stack in a private scope key: app/web/_fastapi_compat.py.)"""
    return function_stack(request)


ReadSession = Annotated[AsyncSession, Depends(get_read_session)]
PublicReadSession = Annotated[AsyncSession, Depends(get_public_read_session)]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]


_KNOWN_QUERY: dict[int, frozenset[str] | None] = {}


def _query_names(route: APIRoute) -> frozenset[str] | None:
    """The query parameters `route` takes; None if they cannot be known (a route left out
    of the OpenAPI document, on a FastAPI without the internals the names come from)."""
    key = id(route)
    if key not in _KNOWN_QUERY:
        _KNOWN_QUERY[key] = query_parameter_names(route)
    return _KNOWN_QUERY[key]


async def known_query_parameters(request: Request) -> None:
    """422 naming every query parameter the route does not take: a typo (`?venue=` for
    `?venue_code=`) would otherwise be ignored, and the caller get every venue's rows."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    known = _query_names(route)
    if known is None:
        return
    unknown = sorted(set(request.query_params.keys()) - known)
    if unknown:
        names = ", ".join(unknown)
        raise ValidationFailed(
            Text(f"Unknown query parameters: {names}.", f"未知的查询参数:{names}。"),
            errors=[
                {
                    "loc": ["query", name],
                    "msg": Text("unknown query parameter", "未知的查询参数"),
                }
                for name in unknown
            ],
        )

"""Dependencies every router uses: the request's database session (the one commit point),
and the refusal of query parameters a route does not know."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.errors import ValidationFailed
from app.i18n import Text


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


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]


_KNOWN_QUERY: dict[int, frozenset[str]] = {}


def _query_names(route: APIRoute) -> frozenset[str]:
    names = _KNOWN_QUERY.get(id(route))
    if names is None:
        found: set[str] = set()
        dependants = [route.dependant]
        while dependants:
            dependant = dependants.pop()
            found.update(param.alias for param in dependant.query_params)
            dependants.extend(dependant.dependencies)
        names = _KNOWN_QUERY[id(route)] = frozenset(found)
    return names


async def known_query_parameters(request: Request) -> None:
    """422 naming every query parameter the route does not take: a typo (`?venue=` for
    `?venue_code=`) would otherwise be ignored, and the caller get every venue's rows."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    unknown = sorted(set(request.query_params.keys()) - _query_names(route))
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

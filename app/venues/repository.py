"""Queries on venues."""

from __future__ import annotations

from typing import cast

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.compiled import Compiled, columns_of
from app.venues.models import NegativeListVersion, Venue


async def get(session: AsyncSession, code: str) -> Venue | None:
    return await session.get(Venue, code)


async def list_page(session: AsyncSession, after: str | None, limit: int) -> list[Venue]:
    """Up to `limit + 1` venues after the code `after`: read-only rows (app/core/compiled.py)."""
    statement = _AFTER if after is not None else _FIRST
    return cast(list[Venue], await statement.fetch(session, after=after, limit=limit + 1))


_FIRST = Compiled(select(*columns_of(Venue)).order_by(Venue.code).limit(bindparam("limit")))
_AFTER = Compiled(
    select(*columns_of(Venue))
    .where(Venue.code > bindparam("after"))
    .order_by(Venue.code)
    .limit(bindparam("limit"))
)


async def add(session: AsyncSession, venue: Venue) -> Venue:
    session.add(venue)
    await session.flush()
    return venue


async def all_venues(session: AsyncSession) -> list[Venue]:
    return list((await session.execute(select(Venue).order_by(Venue.code))).scalars())


async def add_negative_list(session: AsyncSession, entry: NegativeListVersion) -> None:
    session.add(entry)
    await session.flush()


async def negative_list(
    session: AsyncSession, code: str, version: int
) -> NegativeListVersion | None:
    return await session.get(NegativeListVersion, (code, version))


async def negative_lists(
    session: AsyncSession, code: str, before: int | None, limit: int
) -> list[NegativeListVersion]:
    """Newest version first."""
    query = (
        select(NegativeListVersion)
        .where(NegativeListVersion.venue_code == code)
        .order_by(NegativeListVersion.version.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(NegativeListVersion.version < before)
    return list((await session.execute(query)).scalars())

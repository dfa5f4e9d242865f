"""Queries on venues."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.venues.models import Venue


async def get(session: AsyncSession, code: str) -> Venue | None:
    return await session.get(Venue, code)


async def list_page(session: AsyncSession, after: str | None, limit: int) -> list[Venue]:
    query = select(Venue).order_by(Venue.code).limit(limit + 1)
    if after is not None:
        query = query.where(Venue.code > after)
    return list((await session.execute(query)).scalars())


async def add(session: AsyncSession, venue: Venue) -> Venue:
    session.add(venue)
    await session.flush()
    return venue

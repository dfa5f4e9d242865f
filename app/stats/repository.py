"""Counts for the overview: merchants by city and tier, listed products by venue."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.listings.models import Listing
from app.listings.states import ListingStatus
from app.merchants.models import Merchant


async def merchants_by_city_and_tier(session: AsyncSession) -> list[tuple[str, str | None, int]]:
    city = (func.left(Merchant.region_code, 4) + "00").label("city")
    query = select(city, Merchant.tier, func.count()).group_by(city, Merchant.tier).order_by(city)
    return [(c, t, n) for c, t, n in (await session.execute(query)).all()]


async def listed_products_by_venue(session: AsyncSession) -> list[tuple[str, int]]:
    query = (
        select(Listing.venue_code, func.count(func.distinct(Listing.product_id)))
        .where(Listing.status == ListingStatus.listed.value)
        .group_by(Listing.venue_code)
        .order_by(Listing.venue_code)
    )
    return [(v, n) for v, n in (await session.execute(query)).all()]

"""Counts for the overview: merchants by city and tier, listed products by venue, turnover."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.listings.models import Listing
from app.listings.states import ListingStatus
from app.merchants.models import Merchant
from app.trades.confirmation import counts_clause, undone_clause
from app.trades.models import Trade


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


async def turnover_by_venue_and_month(
    session: AsyncSession, large_amount: Decimal
) -> list[tuple[str, str, bool, int, Decimal]]:
    """(venue, month in Asia/Shanghai, on-venue?, trades, turnover) of the trades that count
    (app/trades/confirmation.py), cancelled and refunded ones left out: an off-venue trade a
    merchant reported counts once its counterparty (or an operator) confirms it, and one
    above `large_amount` once an operator does."""
    month = func.to_char(func.timezone("Asia/Shanghai", Trade.occurred_at), "YYYY-MM").label(
        "month"
    )
    query = (
        select(Trade.venue_code, month, Trade.on_venue, func.count(), func.sum(Trade.amount))
        .where(not_(undone_clause()), counts_clause(large_amount))
        .group_by(Trade.venue_code, month, Trade.on_venue)
        .order_by(Trade.venue_code, month, Trade.on_venue)
    )
    return [(v, m, o, n, total) for v, m, o, n, total in (await session.execute(query)).all()]

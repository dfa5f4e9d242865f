"""Counts for the overview: merchants by city and tier, listed products by venue, turnover."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.ip.models import IpRegistration
from app.listings.models import Listing
from app.listings.states import ListingStatus
from app.merchants.models import Merchant
from app.programmes.models import Programme, ProgrammeClaim
from app.programmes.repository import SPENT
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


# --- The policy figures (app/stats/policy.py) ----------------------------------------------


def _shanghai_month(column: Any) -> Any:
    return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")


async def merchant_cities(session: AsyncSession, prefix: str | None) -> dict[UUID, str]:
    """Each merchant's city code (`xxxx00`), of the merchants whose region starts `prefix`."""
    city = func.left(Merchant.region_code, 4) + "00"
    query = select(Merchant.id, city)
    if prefix:
        query = query.where(Merchant.region_code.startswith(prefix, autoescape=True))
    return dict((await session.execute(query)).all())


async def ip_grants_by_month(
    session: AsyncSession, until: date
) -> list[tuple[str, int, list[UUID]]]:
    """(month, registrations granted, their distinct holders) for every month with a grant
    before the day `until`, from the first: every registration ever granted (`granted_on`
    set), whatever became of it since (revoked, cancelled, expired: it was registered)."""
    month = func.to_char(IpRegistration.granted_on, "YYYY-MM").label("month")
    query = (
        select(
            month, func.count(), func.array_agg(func.distinct(IpRegistration.holder_merchant_id))
        )
        .where(IpRegistration.granted_on.is_not(None), IpRegistration.granted_on < until)
        .group_by(month)
        .order_by(month)
    )
    return [(m, n, list(holders)) for m, n, holders in (await session.execute(query)).all()]


async def on_venue_share_by_city_month(
    session: AsyncSession,
    large_amount: Decimal,
    prefix: str | None,
    since: datetime,
    until: datetime,
) -> list[tuple[str, str, Decimal, Decimal, int]]:
    """(seller's city, month, on-venue turnover, all turnover, distinct sellers) of the
    trades that count (app/trades/confirmation.py; cancelled and refunded ones left out),
    by the seller's city and the month of `occurred_at` in Asia/Shanghai, occurred from
    `since` until (before) `until`."""
    month = _shanghai_month(Trade.occurred_at).label("month")
    city = (func.left(Merchant.region_code, 4) + "00").label("city")
    on_venue = func.coalesce(func.sum(Trade.amount).filter(Trade.on_venue), 0)
    query = (
        select(
            city,
            month,
            on_venue,
            func.sum(Trade.amount),
            func.count(func.distinct(Trade.seller_merchant_id)),
        )
        .join(Merchant, Merchant.id == Trade.seller_merchant_id)
        .where(
            not_(undone_clause()),
            counts_clause(large_amount),
            Trade.occurred_at >= since,
            Trade.occurred_at < until,
        )
        .group_by(city, month)
        .order_by(city, month)
    )
    if prefix:
        query = query.where(Merchant.region_code.startswith(prefix, autoescape=True))
    return [
        (c, m, Decimal(on), Decimal(total), n)
        for c, m, on, total, n in (await session.execute(query)).all()
    ]


async def programme_spend(
    session: AsyncSession, first_day: date, last_day: date
) -> list[tuple[str, str, Decimal, list[str], Decimal, int]]:
    """(code, name, budget, region prefixes, used, distinct claimants) of each programme whose
    window meets `first_day` … `last_day`, by code; used is approved and paid
    (app/programmes/repository.py `SPENT`), the claimants those of such claims."""
    spent = ProgrammeClaim.state.in_(SPENT)
    query = (
        select(
            Programme.code,
            Programme.name,
            Programme.budget,
            Programme.region_codes,
            func.coalesce(func.sum(ProgrammeClaim.amount).filter(spent), 0),
            func.count(func.distinct(ProgrammeClaim.merchant_id)).filter(spent),
        )
        .outerjoin(ProgrammeClaim, ProgrammeClaim.programme_id == Programme.id)
        .where(Programme.starts_on <= last_day, Programme.ends_on >= first_day)
        .group_by(Programme.id)
        .order_by(Programme.code)
    )
    return [
        (code, name, Decimal(budget), list(regions), Decimal(used), n)
        for code, name, budget, regions, used, n in (await session.execute(query)).all()
    ]

"""Queries on listings and their events."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.auth.principal import Principal
from app.listings.models import Listing, ListingEvent
from app.listings.states import LIVE, ListingStatus


@dataclass(frozen=True)
class ListingFilter:
    product_id: UUID | None = None
    venue_code: str | None = None
    merchant_id: UUID | None = None
    status: str | None = None


def visible_to(who: Principal | None) -> ColumnElement[bool]:
    """Who sees which listing, the one rule (lists and single reads alike): anonymous callers
    see listed listings; a merchant also its own; the reading roles all."""
    listed = Listing.status == ListingStatus.listed.value
    if who is not None and who.reads_everything():
        return true()
    if who is not None and who.role is Role.merchant and who.merchant_id is not None:
        return or_(listed, Listing.merchant_id == who.merchant_id)
    return listed


async def get_visible(
    session: AsyncSession, listing_id: UUID, who: Principal | None, for_update: bool = False
) -> Listing | None:
    """The listing if `who` may see it (`visible_to`), locked for a change if asked."""
    query = select(Listing).where(Listing.id == listing_id, visible_to(who))
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def live_for(session: AsyncSession, product_id: UUID, venue_code: str) -> Listing | None:
    query = select(Listing).where(
        Listing.product_id == product_id,
        Listing.venue_code == venue_code,
        Listing.status.in_([s.value for s in LIVE]),
    )
    return (await session.execute(query)).scalar_one_or_none()


async def listed_for(
    session: AsyncSession, product_id: UUID, venue_codes: list[str] | None = None
) -> list[Listing]:
    """The product's listings in state `listed` (at the given venues), locked for a change."""
    query = select(Listing).where(
        Listing.product_id == product_id, Listing.status == ListingStatus.listed.value
    )
    if venue_codes is not None:
        query = query.where(Listing.venue_code.in_(venue_codes))
    return list((await session.execute(query.with_for_update())).scalars())


async def list_page(
    session: AsyncSession,
    who: Principal | None,
    where: ListingFilter,
    after: UUID | None,
    limit: int,
) -> list[Listing]:
    query = select(Listing).where(visible_to(who)).order_by(Listing.id).limit(limit + 1)
    if where.product_id:
        query = query.where(Listing.product_id == where.product_id)
    if where.venue_code:
        query = query.where(Listing.venue_code == where.venue_code)
    if where.merchant_id:
        query = query.where(Listing.merchant_id == where.merchant_id)
    if where.status:
        query = query.where(Listing.status == where.status)
    if after is not None:
        query = query.where(Listing.id > after)
    return list((await session.execute(query)).scalars())


async def add(session: AsyncSession, listing: Listing) -> Listing:
    session.add(listing)
    await session.flush()
    return listing


async def add_event(session: AsyncSession, event: ListingEvent) -> None:
    session.add(event)
    await session.flush()


async def events(
    session: AsyncSession, listing_id: UUID, after: UUID | None, limit: int
) -> list[ListingEvent]:
    query = (
        select(ListingEvent)
        .where(ListingEvent.listing_id == listing_id)
        .order_by(ListingEvent.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(ListingEvent.id > after)
    return list((await session.execute(query)).scalars())

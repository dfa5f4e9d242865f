"""Queries on listings and their events."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from typing import Any, cast
from uuid import UUID

from sqlalchemy import ColumnElement, Subquery, bindparam, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.compiled import Compiled, columns_of
from app.core.principal import Principal
from app.core.roles import Role
from app.listings.models import Listing, ListingEvent
from app.listings.states import LIVE, ListingStatus


@dataclass(frozen=True)
class ListingFilter:
    product_id: UUID | None = None
    venue_code: str | None = None
    merchant_id: UUID | None = None
    status: str | None = None


def listed() -> Subquery:
    """Which products are listed where now: the listings in state `listed`, as rows of
    (product_id, merchant_id, venue_code). The domains below this one read it without
    importing it (the catalog's visibility in `products`, a merchant's count of listed
    products): app/wiring.py provides it to them (app/core/provided.py)."""
    return (
        select(Listing.product_id, Listing.merchant_id, Listing.venue_code)
        .where(Listing.status == ListingStatus.listed.value)
        .subquery()
    )


def visible_to(who: Principal | None) -> ColumnElement[bool]:
    """Who sees which listing, the one rule (lists and single reads alike): anonymous callers
    see listed listings; a merchant also its own; the reading roles all."""
    kind, merchant_id = _reader(who)
    return _visible(kind, merchant_id)


def _reader(who: Principal | None) -> tuple[str, UUID | None]:
    """Which of `visible_to`'s cases the caller is, and its merchant's id for `merchant`."""
    if who is not None and who.reads_everything():
        return "all", None
    if who is not None and who.role is Role.merchant and who.merchant_id is not None:
        return "merchant", who.merchant_id
    return "public", None


def _visible(kind: str, merchant_id: Any) -> ColumnElement[bool]:
    listed = Listing.status == ListingStatus.listed.value
    if kind == "all":
        return true()
    if kind == "merchant":
        return or_(listed, Listing.merchant_id == merchant_id)
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
    """Up to `limit + 1` listings after `after`, oldest first: read-only rows with the
    listing's columns as attributes (app/core/compiled.py), one compiled statement per shape."""
    kind, merchant_id = _reader(who)
    params = {"limit": limit + 1, "after": after, "who_merchant_id": merchant_id, **vars(where)}
    shape = (kind, after is not None, *(bool(getattr(where, name)) for name in _FILTERS))
    rows = await _list_statement(shape).fetch(session, **params)
    return cast(list[Listing], rows)


_FILTERS = tuple(f.name for f in fields(ListingFilter))


@cache
def _list_statement(shape: tuple[Any, ...]) -> Compiled:
    """`list_page`'s statement for a shape: who reads, whether a cursor, which filters."""
    kind, has_after, *present = shape
    query = (
        select(*columns_of(Listing))
        .where(_visible(kind, bindparam("who_merchant_id")))
        .order_by(Listing.id)
        .limit(bindparam("limit"))
    )
    for name, wanted in zip(_FILTERS, present, strict=True):
        if wanted:
            query = query.where(getattr(Listing, name) == bindparam(name))
    if has_after:
        query = query.where(Listing.id > bindparam("after"))
    return Compiled(query)


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

"""Queries on products: visibility, filters, tiered search, facets, revisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    ColumnElement,
    and_,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.auth.principal import Principal
from app.listings.models import Listing
from app.listings.states import ListingStatus
from app.products import search
from app.products.models import Product, ProductRevision


@dataclass(frozen=True)
class ProductFilter:
    product_type: str | None = None
    domain: str | None = None
    merchant_id: UUID | None = None
    status: str | None = None
    classification: str | None = None
    updated_since: datetime | None = None
    venue_code: str | None = None
    query: search.Query | None = None


def publicly_listed(venue_code: str | None = None) -> ColumnElement[bool]:
    """Products with a listing in state `listed` (at `venue_code`, or anywhere): the catalog."""
    listed = select(Listing.id).where(
        Listing.product_id == Product.id, Listing.status == ListingStatus.listed.value
    )
    if venue_code is not None:
        listed = listed.where(Listing.venue_code == venue_code)
    return exists(listed)


def visible_to(who: Principal | None) -> ColumnElement[bool]:
    """Operators, assessors and auditors see every product; a merchant its own and the
    public catalog; anonymous callers the public catalog."""
    if who is not None and who.reads_everything():
        return true()
    if who is not None and who.role is Role.merchant and who.merchant_id is not None:
        return or_(Product.merchant_id == who.merchant_id, publicly_listed())
    return publicly_listed()


def tsvector(literal_text: str) -> ColumnElement[Any]:
    return cast(literal(literal_text), TSVECTOR)


def _matches(column: Any, tsquery: str) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.op("@@", return_type=Boolean)(
        cast(literal(tsquery), TSQUERY)
    )
    return result


def matching(q: search.Query) -> ColumnElement[bool]:
    """Products that match `q` in any relevance tier."""
    return or_(_matches(Product.search_words, q.words), _matches(Product.search_pairs, q.pairs))


def in_tier(tier: search.Tier, q: search.Query) -> ColumnElement[bool]:
    """Products in a relevance tier, none of them in a better one."""
    in_name = _matches(Product.search_name, q.words)
    in_words = _matches(Product.search_words, q.words)
    if tier is search.Tier.in_name:
        return in_name
    if tier is search.Tier.in_text:
        return and_(in_words, not_(in_name))
    return and_(_matches(Product.search_pairs, q.pairs), not_(in_words))


def _conditions(
    where: ProductFilter, who: Principal | None, with_query: bool = True
) -> list[ColumnElement[bool]]:
    conditions = [visible_to(who)]
    if where.product_type:
        conditions.append(Product.product_type == where.product_type)
    if where.domain:
        conditions.append(Product.domains.contains([where.domain]))
    if where.merchant_id:
        conditions.append(Product.merchant_id == where.merchant_id)
    if where.status:
        conditions.append(Product.status == where.status)
    if where.classification:
        conditions.append(Product.classification == where.classification)
    if where.updated_since:
        conditions.append(Product.updated_at >= where.updated_since)
    if where.venue_code:
        conditions.append(publicly_listed(where.venue_code))
    if where.query and with_query:
        conditions.append(matching(where.query))
    return conditions


async def search_page(
    session: AsyncSession,
    where: ProductFilter,
    who: Principal | None,
    after: tuple[int, UUID] | None,
    limit: int,
) -> list[tuple[Product, int]]:
    """Up to `limit + 1` products after the keyset `after` = (tier, id): each tier newest
    first, tier by tier. Without a query there is one tier (0): everything, newest first."""
    conditions = _conditions(where, who, with_query=False)  # each tier implies a match
    tiers: list[tuple[int, ColumnElement[bool] | None]] = (
        [(tier.value, in_tier(tier, where.query)) for tier in search.Tier]
        if where.query
        else [(0, None)]
    )
    found: list[tuple[Product, int]] = []
    for tier, condition in tiers:
        if after is not None and tier < after[0]:
            continue
        newer: list[ColumnElement[bool]] = []
        if after is not None and tier == after[0]:
            newer.append(Product.id < after[1])
        query = select(Product).where(*conditions, *newer)
        if condition is not None:
            query = query.where(condition)
        wanted = limit + 1 - len(found)
        query = query.order_by(Product.id.desc()).limit(wanted)
        found += [(p, tier) for p in (await session.execute(query)).scalars()]
        if len(found) > limit:
            break
    return found


async def facets(
    session: AsyncSession, where: ProductFilter, who: Principal | None
) -> dict[str, dict[str, int]]:
    """Counts by type, domain and classification over the whole result set."""
    matching = (
        select(Product.id, Product.product_type, Product.domains, Product.classification)
        .where(*_conditions(where, who))
        .cte("matching")
    )
    domains = select(func.unnest(matching.c.domains).label("domain")).subquery("domains")
    by_type = select(literal("product_type"), matching.c.product_type, func.count()).group_by(
        matching.c.product_type
    )
    by_domain = select(literal("domain"), domains.c.domain, func.count()).group_by(domains.c.domain)
    by_class = select(literal("classification"), matching.c.classification, func.count()).group_by(
        matching.c.classification
    )
    by_venue = (
        select(literal("venue"), Listing.venue_code, func.count(func.distinct(Listing.product_id)))
        .join(matching, matching.c.id == Listing.product_id)
        .where(Listing.status == ListingStatus.listed.value)
        .group_by(Listing.venue_code)
    )
    counts: dict[str, dict[str, int]] = {
        "product_type": {},
        "domain": {},
        "classification": {},
        "venue": {},
    }
    query = union_all(by_type, by_domain, by_class, by_venue)
    for facet, value, n in (await session.execute(query)).all():
        counts[facet][value] = n
    return counts


async def get(session: AsyncSession, product_id: UUID) -> Product | None:
    return await session.get(Product, product_id)


async def get_unchanging(session: AsyncSession, product_id: UUID) -> Product | None:
    """The product as committed now, its row share-locked: no new revision can be made
    until this transaction ends (a decision taken on this revision stays true at commit)."""
    query = (
        select(Product)
        .where(Product.id == product_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_visible(
    session: AsyncSession, product_id: UUID, who: Principal | None
) -> Product | None:
    query = select(Product).where(Product.id == product_id, visible_to(who))
    return (await session.execute(query)).scalar_one_or_none()


async def add(session: AsyncSession, product: Product) -> Product:
    session.add(product)
    await session.flush()
    return product


async def add_revision(session: AsyncSession, revision: ProductRevision) -> None:
    session.add(revision)
    await session.flush()


async def revisions(
    session: AsyncSession, product_id: UUID, after: int | None, limit: int
) -> list[ProductRevision]:
    query = (
        select(ProductRevision)
        .where(ProductRevision.product_id == product_id)
        .order_by(ProductRevision.number)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(ProductRevision.number > after)
    return list((await session.execute(query)).scalars())


async def revision(session: AsyncSession, product_id: UUID, number: int) -> ProductRevision | None:
    query = select(ProductRevision).where(
        ProductRevision.product_id == product_id, ProductRevision.number == number
    )
    return (await session.execute(query)).scalar_one_or_none()

"""Queries on products: visibility, filters, ranked search, facets, revisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Float,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.auth.principal import Principal
from app.products.models import Product, ProductRevision


@dataclass(frozen=True)
class ProductFilter:
    product_type: str | None = None
    domain: str | None = None
    merchant_id: UUID | None = None
    status: str | None = None
    classification: str | None = None
    updated_since: datetime | None = None
    tsquery: str | None = None


def publicly_listed() -> ColumnElement[bool]:
    """Products with a listing in state `listed` on some venue: the public catalog.

    Listings do not exist yet, so nothing is public; the listings capability fills this in.
    """
    return false()


def visible_to(who: Principal | None) -> ColumnElement[bool]:
    """Operators, assessors and auditors see every product; a merchant its own and the
    public catalog; anonymous callers the public catalog."""
    if who is not None and who.reads_everything():
        return true()
    if who is not None and who.role is Role.merchant and who.merchant_id is not None:
        return or_(Product.merchant_id == who.merchant_id, publicly_listed())
    return publicly_listed()


def search_vector(literal_text: str) -> ColumnElement[Any]:
    return cast(literal(literal_text), TSVECTOR)


def _tsquery(text: str) -> ColumnElement[Any]:
    return cast(literal(text), TSQUERY)


def _conditions(where: ProductFilter, who: Principal | None) -> list[ColumnElement[bool]]:
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
    if where.tsquery:
        conditions.append(Product.search_vector.op("@@")(_tsquery(where.tsquery)))
    return conditions


def rank_of(tsquery: str) -> ColumnElement[float]:
    # float8, so that a rank written into a cursor and read back compares equal.
    return cast(func.ts_rank_cd(Product.search_vector, _tsquery(tsquery)), Float(53))


async def search(
    session: AsyncSession,
    where: ProductFilter,
    who: Principal | None,
    after: tuple[float, UUID] | UUID | None,
    limit: int,
) -> list[tuple[Product, float | None]]:
    """A page of products: by rank then id when searching, newest first otherwise."""
    conditions = _conditions(where, who)
    if where.tsquery:
        rank = rank_of(where.tsquery)
        ranked = select(Product, rank).where(*conditions).order_by(rank.desc(), Product.id.desc())
        if isinstance(after, tuple):
            ranked = ranked.where(
                tuple_(rank, Product.id) < tuple_(literal(after[0]), literal(after[1]))
            )
        ranked_rows = (await session.execute(ranked.limit(limit + 1))).all()
        return [(row[0], row[1]) for row in ranked_rows]
    newest = select(Product).where(*conditions).order_by(Product.id.desc())
    if isinstance(after, UUID):
        newest = newest.where(Product.id < after)
    products = (await session.execute(newest.limit(limit + 1))).scalars()
    return [(product, None) for product in products]


async def facets(
    session: AsyncSession, where: ProductFilter, who: Principal | None
) -> dict[str, dict[str, int]]:
    """Counts by type, domain and classification over the whole result set."""
    matching = (
        select(Product.product_type, Product.domains, Product.classification)
        .where(*_conditions(where, who))
        .cte("matching")
    )
    domains = select(func.unnest(matching.c.domains).label("domain")).subquery("domains")
    by_type = select(
        literal("product_type").label("facet"),
        matching.c.product_type.label("value"),
        func.count().label("n"),
    ).group_by(matching.c.product_type)
    by_domain = select(literal("domain"), domains.c.domain, func.count()).group_by(domains.c.domain)
    by_class = select(literal("classification"), matching.c.classification, func.count()).group_by(
        matching.c.classification
    )
    counts: dict[str, dict[str, int]] = {"product_type": {}, "domain": {}, "classification": {}}
    for facet, value, n in (await session.execute(union_all(by_type, by_domain, by_class))).all():
        counts[facet][value] = n
    return counts


async def get(session: AsyncSession, product_id: UUID) -> Product | None:
    return await session.get(Product, product_id)


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

"""Queries on products: visibility, filters, tiered search, facets, revisions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from typing import cast as typed
from uuid import UUID

from sqlalchemy import (
    Boolean,
    ColumnElement,
    String,
    and_,
    bindparam,
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
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR, array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Subquery

from app.core.compiled import Compiled, columns_of
from app.core.principal import Principal
from app.core.provided import Provided
from app.core.roles import Role
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


# The filters of `ProductFilter` other than the query, in the order shapes name them.
_FILTERS = (
    "product_type",
    "domain",
    "merchant_id",
    "status",
    "classification",
    "updated_since",
    "venue_code",
)


# Which products are listed where: a fact of `listings`, which sits above this domain and
# provides it (app/listings/repository.py `listed`, connected by app/wiring.py).
LISTED: Provided[Callable[[], Subquery]] = Provided("the listed products of the catalog")


def publicly_listed(venue_code: Any = None) -> ColumnElement[bool]:
    """Products with a listing in state `listed` (at `venue_code`, or anywhere): the catalog."""
    listed = LISTED.get()
    condition = select(listed.c.product_id).where(listed.c.product_id == Product.id)
    if venue_code is not None:
        condition = condition.where(listed.c.venue_code == venue_code)
    return exists(condition)


def visible_to(who: Principal | None) -> ColumnElement[bool]:
    """Operators, assessors and auditors see every product; a merchant its own and the
    public catalog; anonymous callers the public catalog."""
    return _visible(*_reader(who))


def _reader(who: Principal | None) -> tuple[str, UUID | None]:
    """Which of `visible_to`'s cases the caller is, and its merchant's id for `merchant`."""
    if who is not None and who.reads_everything():
        return "all", None
    if who is not None and who.role is Role.merchant and who.merchant_id is not None:
        return "merchant", who.merchant_id
    return "public", None


def _visible(kind: str, merchant_id: Any) -> ColumnElement[bool]:
    if kind == "all":
        return true()
    if kind == "merchant":
        return or_(Product.merchant_id == merchant_id, publicly_listed())
    return publicly_listed()


def tsvector(literal_text: str) -> ColumnElement[Any]:
    return cast(literal(literal_text), TSVECTOR)


def _matches(column: Any, tsquery: Any) -> ColumnElement[bool]:
    """`column @@ tsquery`: `tsquery` a literal's text, or a bound parameter of it."""
    if isinstance(tsquery, str):
        tsquery = literal(tsquery)
    result: ColumnElement[bool] = column.op("@@", return_type=Boolean)(cast(tsquery, TSQUERY))
    return result


def matching(q: search.Query) -> ColumnElement[bool]:
    """Products that match `q` in any relevance tier."""
    return or_(_matches(Product.search_words, q.words), _matches(Product.search_pairs, q.pairs))


def in_tier(tier: search.Tier, q: search.Query) -> ColumnElement[bool]:
    """Products in a relevance tier, none of them in a better one."""
    return _in_tier(tier, q.words, q.pairs)


def _in_tier(tier: search.Tier, words: Any, pairs: Any) -> ColumnElement[bool]:
    in_name = _matches(Product.search_name, words)
    in_words = _matches(Product.search_words, words)
    if tier is search.Tier.in_name:
        return in_name
    if tier is search.Tier.in_text:
        return and_(in_words, not_(in_name))
    return and_(_matches(Product.search_pairs, pairs), not_(in_words))


def _filtered(value: Callable[[str], Any]) -> list[ColumnElement[bool]]:
    """The filters' conditions; `value(name)` is the filter's value (or a bound parameter
    for it), None for a filter not given."""
    conditions: list[ColumnElement[bool]] = []
    if (product_type := value("product_type")) is not None:
        conditions.append(Product.product_type == product_type)
    if (domain := value("domain")) is not None:
        conditions.append(Product.domains.contains(array([domain])))
    if (merchant_id := value("merchant_id")) is not None:
        conditions.append(Product.merchant_id == merchant_id)
    if (status := value("status")) is not None:
        conditions.append(Product.status == status)
    if (classification := value("classification")) is not None:
        conditions.append(Product.classification == classification)
    if (updated_since := value("updated_since")) is not None:
        conditions.append(Product.updated_at >= updated_since)
    if (venue_code := value("venue_code")) is not None:
        conditions.append(publicly_listed(venue_code))
    return conditions


def _conditions(
    where: ProductFilter, who: Principal | None, with_query: bool = True
) -> list[ColumnElement[bool]]:
    conditions = [visible_to(who), *_filtered(lambda name: getattr(where, name) or None)]
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
    first, tier by tier. Without a query there is one tier (0): everything, newest first.
    The products are read-only rows with the product's columns as attributes, each tier's
    statement compiled once per shape (app/core/compiled.py): the catalog's hottest read."""
    kind, merchant_id = _reader(who)
    present = tuple(bool(getattr(where, name)) for name in _FILTERS)
    params: dict[str, Any] = {name: getattr(where, name) for name in _FILTERS}
    params["who_merchant_id"] = merchant_id
    if where.query is not None:
        params.update(words=where.query.words, pairs=where.query.pairs)
    tiers = [tier.value for tier in search.Tier] if where.query else [0]
    found: list[tuple[Product, int]] = []
    for tier in tiers:
        if after is not None and tier < after[0]:
            continue
        newer = after is not None and tier == after[0]
        statement = _tier_statement(kind, tier, newer, present)
        rows = await statement.fetch(
            session,
            **params,
            after=after[1] if after is not None else None,
            limit=limit + 1 - len(found),
        )
        found += [(typed(Product, row), tier) for row in rows]
        if len(found) > limit:
            break
    return found


def _bound(name: str) -> Any:
    """A filter's parameter. Untyped, it takes the type of the column it is compared with;
    the domain meets no column (`ARRAY[…]`), so it is typed: text[] @> would not match."""
    return bindparam(name, type_=String) if name == "domain" else bindparam(name)


@cache
def _tier_statement(kind: str, tier: int, newer: bool, present: tuple[bool, ...]) -> Compiled:
    """A tier's statement for a shape: who reads, the tier (0: no query), whether it starts
    after a cursor's id, which filters are given."""
    given = dict(zip(_FILTERS, present, strict=True))
    conditions = [
        _visible(kind, bindparam("who_merchant_id")),
        *_filtered(lambda name: _bound(name) if given[name] else None),
    ]
    if newer:
        conditions.append(Product.id < bindparam("after"))
    if tier:
        words, pairs = (bindparam(name, type_=String) for name in ("words", "pairs"))
        conditions.append(_in_tier(search.Tier(tier), words, pairs))
    query = (
        select(*columns_of(Product))
        .where(*conditions)
        .order_by(Product.id.desc())
        .limit(bindparam("limit"))
    )
    return Compiled(query)


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
    listed = LISTED.get()
    by_venue = (
        select(
            literal("venue"), listed.c.venue_code, func.count(func.distinct(listed.c.product_id))
        )
        .join(matching, matching.c.id == listed.c.product_id)
        .group_by(listed.c.venue_code)
    )
    counts: dict[str, dict[str, int]] = {
        "product_type": {},
        "domain": {},
        "classification": {},
        "venue": {},
    }
    query = union_all(by_type, by_domain, by_class, by_venue)
    # In the order of their values: the same counts are the same bytes (and the same ETag).
    for facet, value, n in sorted((await session.execute(query)).all()):
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

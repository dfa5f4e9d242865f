"""The catalog read model: its own SQL over listings, products, merchants, venues,
assessments and IP registrations, so that a page of cards costs a few statements (one in
the common case), however long it is.

A card is a `listed` listing (a suspended one is no card: the automatic suspension of
`app/listings/automatic.py` takes it out at once), joined to its product, the product's
merchant and the venue, plus three LATERAL look-ups by product, for the page's rows only:

- quality: the newest quality assessment of the product's current revision whose actor
  was an assessor (所商分离: the exchange does not grade its own goods, and a merchant's
  self-check is no grade);
- compliance: the newest compliance assessment of the current revision that covered the
  listing's venue, not a self-check (the one the listing gates accepted);
- certificate: the product's data IP certificate in force, held by the product's own
  merchant (a certificate transferred away, suspended, revoked, cancelled or expired is
  none of the card's).

A page is found first (listing ids and sort keys, filtered, ordered, limited: an index
scan that stops after the page), and only its rows are joined to the rest, so the look-ups
run for the page and not for every match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Subquery,
    and_,
    exists,
    func,
    literal,
    not_,
    nulls_last,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments.models import Assessment
from app.core.roles import Role
from app.ip.effective import status_is
from app.ip.models import IpRegistration
from app.ip.states import IpStatus
from app.listings.models import Listing
from app.listings.states import ListingStatus
from app.merchants.models import Merchant
from app.products import search
from app.products.models import Product
from app.products.repository import in_tier, matching
from app.venues.models import Venue

EXCERPT_FETCHED = 121  # one more character than a card shows, to know when it was cut


@dataclass(frozen=True)
class CatalogFilter:
    today: date
    query: search.Query | None = None
    venue_code: str | None = None
    product_type: str | None = None
    domain: str | None = None
    region_prefix: str | None = None
    merchant_id: UUID | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    certified: bool | None = None


@dataclass(frozen=True)
class Order:
    """A sort order: its key columns, all ascending or all descending, the id last."""

    keys: tuple[Any, ...]  # column expressions
    descending: bool

    def after(self, values: tuple[Any, ...]) -> ColumnElement[bool]:
        """The rows after the one whose keys are `values` (keyset paging)."""
        at = tuple_(*(literal(v, k.type) for k, v in zip(self.keys, values, strict=True)))
        row = tuple_(*self.keys)
        return row < at if self.descending else row > at

    def clauses(self, columns: tuple[Any, ...]) -> list[Any]:
        return [c.desc() if self.descending else c.asc() for c in columns]


NEWEST = Order((Listing.listed_at, Listing.id), descending=True)
CHEAPEST = Order((Listing.price_amount, Listing.id), descending=False)
DEAREST = Order((Listing.price_amount, Listing.id), descending=True)


@dataclass(frozen=True)
class Section:
    """A run of a page's order: the cards that meet `condition`, in `order`. A page reads
    its sections in turn (by number), each only if the ones before did not fill it, so a
    section is always an index-backed `ORDER BY … LIMIT`: a relevance tier (newest first
    within it), or the priced listings and then the negotiable ones (no amount) of a price
    order."""

    number: int
    condition: ColumnElement[bool] | None
    order: Order


PRICED = Listing.price_amount.is_not(None)
NEGOTIABLE = Listing.price_amount.is_(None)


def sections(kind: str, query: search.Query | None) -> list[Section]:
    """The sections of an order: `relevance` (tiers 1–3 of a query; without one, as
    `newest`), `newest`, `price_asc`, `price_desc` (negotiable prices last)."""
    if kind == "relevance" and query is not None:
        return [Section(t.value, in_tier(t, query), NEWEST) for t in search.Tier]
    matches = matching(query) if query is not None else true()
    if kind in ("price_asc", "price_desc"):
        by_price = CHEAPEST if kind == "price_asc" else DEAREST
        return [
            Section(0, and_(matches, PRICED), by_price),
            Section(1, and_(matches, NEGOTIABLE), NEWEST),
        ]
    return [Section(0, matches if query is not None else None, NEWEST)]


def _certified(today: date) -> ColumnElement[bool]:
    """The product's merchant holds a data IP certificate of it in force today: the card's
    rule (`_certificate_lateral`) with today's date."""
    return exists(
        select(IpRegistration.id).where(
            IpRegistration.product_id == Product.id,
            IpRegistration.holder_merchant_id == Product.merchant_id,
            status_is(IpStatus.registered, today),
        )
    )


def _conditions(where: CatalogFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Listing.status == ListingStatus.listed.value]
    if where.venue_code:
        conditions.append(Listing.venue_code == where.venue_code)
    if where.product_type:
        conditions.append(Product.product_type == where.product_type)
    if where.domain:
        conditions.append(Product.domains.contains([where.domain]))
    if where.region_prefix:
        conditions.append(Merchant.region_code.startswith(where.region_prefix, autoescape=True))
    if where.merchant_id:
        conditions.append(Product.merchant_id == where.merchant_id)
    if where.price_min is not None:
        conditions.append(Listing.price_amount >= where.price_min)
    if where.price_max is not None:
        conditions.append(Listing.price_amount <= where.price_max)
    if where.certified is not None:
        certified = _certified(where.today)
        conditions.append(certified if where.certified else not_(certified))
    return conditions


def _candidates(*columns: Any) -> Select[Any]:
    """Listings with their product and merchant: what every filter can name."""
    return (
        select(*columns)
        .select_from(Listing)
        .join(Product, Product.id == Listing.product_id)
        .join(Merchant, Merchant.id == Product.merchant_id)
    )


def _page_of(
    where: CatalogFilter, part: Section, after: tuple[Any, ...] | None, limit: int
) -> Subquery:
    """The ids of a section's page, with the section's number and sort keys."""
    order = part.order
    keys = tuple(k.label(f"sort_key{i}") for i, k in enumerate(order.keys))
    query = _candidates(
        Listing.id.label("listing_id"), literal(part.number).label("section"), *keys
    ).where(*_conditions(where))
    if part.condition is not None:
        query = query.where(part.condition)
    if after is not None:
        query = query.where(order.after(after))
    return query.order_by(*order.clauses(order.keys)).limit(limit).subquery("page")


def _quality_lateral() -> Any:
    return (
        select(
            Assessment.grade.label("grade"),
            Assessment.overall.label("overall"),
            Assessment.created_at.label("assessed_at"),
        )
        .where(
            Assessment.product_id == Product.id,
            Assessment.kind == "quality",
            Assessment.product_revision == Product.revision,
            Assessment.actor_role == Role.assessor.value,
            Assessment.self_check.is_(False),
        )
        .order_by(Assessment.id.desc())
        .limit(1)
        .lateral("quality")
    )


def _compliance_lateral() -> Any:
    """The compliance result at the listing's venue."""
    return (
        select(
            Assessment.venue_results.op("->>")(Listing.venue_code).label("result"),
            Assessment.created_at.label("assessed_at"),
        )
        .where(
            Assessment.product_id == Product.id,
            Assessment.kind == "compliance",
            Assessment.product_revision == Product.revision,
            Assessment.self_check.is_(False),
            Assessment.venue_results.has_key(Listing.venue_code),
        )
        .order_by(Assessment.id.desc())
        .limit(1)
        .lateral("compliance")
    )


def _certificate_lateral() -> Any:
    """The product's registered certificate held by the product's merchant (one at most: a
    product has one live registration). Built once, without a date: `service.card_of`
    drops one whose validity has passed, as `_certified` does in SQL."""
    return (
        select(
            IpRegistration.certificate_number.label("number"),
            IpRegistration.status.label("status"),
            IpRegistration.valid_until.label("valid_until"),
        )
        .where(
            IpRegistration.product_id == Product.id,
            IpRegistration.holder_merchant_id == Product.merchant_id,
            IpRegistration.status == IpStatus.registered.value,
            IpRegistration.certificate_number.is_not(None),
        )
        .order_by(nulls_last(IpRegistration.granted_on.desc()), IpRegistration.id.desc())
        .limit(1)
        .lateral("certificate")
    )


# Built once: they name only the tables' columns, and a card statement is made per request.
_LATERALS = (_quality_lateral(), _compliance_lateral(), _certificate_lateral())


def _cards(page: Subquery | None, *extra: Any) -> Any:
    """Card rows: for the listings of `page` (with its tier and keys), or with no page for a
    query the caller narrows itself."""
    quality, compliance, certificate = _LATERALS
    query = select(
        Listing.id.label("listing_id"),
        Listing.venue_code,
        Venue.name.label("venue_name"),
        Listing.price_model,
        Listing.price_amount,
        Listing.price_unit,
        Listing.currency,
        Listing.listed_at,
        Product.id.label("product_id"),
        Product.name.label("product_name"),
        func.left(Product.description, EXCERPT_FETCHED).label("description"),
        Product.product_type,
        Product.domains,
        Product.tags,
        Product.data_as_of,
        Product.update_frequency,
        Product.delivery_modes,
        Merchant.id.label("merchant_id"),
        Merchant.name.label("merchant_name"),
        Merchant.region_code,
        Merchant.tier,
        quality.c.grade,
        quality.c.overall,
        quality.c.assessed_at.label("quality_assessed_at"),
        compliance.c.result.label("compliance_result"),
        compliance.c.assessed_at.label("compliance_assessed_at"),
        certificate.c.number.label("certificate_number"),
        certificate.c.status.label("certificate_status"),
        certificate.c.valid_until.label("certificate_valid_until"),
        *extra,
    )
    if page is not None:
        query = query.select_from(page).join(Listing, Listing.id == page.c.listing_id)
    else:
        query = query.select_from(Listing)
    return (
        query.join(Product, Product.id == Listing.product_id)
        .join(Merchant, Merchant.id == Product.merchant_id)
        .join(Venue, Venue.code == Listing.venue_code)
        .outerjoin(quality, true())
        .outerjoin(compliance, true())
        .outerjoin(certificate, true())
    )


@dataclass(frozen=True)
class Placed:
    """A card row and where it stands in its order: its section and sort keys."""

    row: Row[Any]
    section: int
    keys: tuple[Any, ...]


async def cards_page(
    session: AsyncSession,
    where: CatalogFilter,
    parts: list[Section],
    after: tuple[int, tuple[Any, ...]] | None,
    limit: int,
) -> list[Placed]:
    """Up to `limit + 1` cards after the keyset `after` = (section, its sort keys).

    When one section is left to read (the newest first, or the last tier), this is one
    statement. Otherwise each section's page of ids is a statement of its own, taken in turn
    until the page is full (a section that is not needed is never read: a relevance tier
    can cost a scan of the products), and the cards of those ids one more: at most four
    statements, however long the page."""
    left = [p for p in parts if after is None or p.number >= after[0]]
    if not left:
        return []

    def keyset(part: Section) -> tuple[Any, ...] | None:
        return after[1] if after is not None and part.number == after[0] else None

    if len(left) == 1:
        (part,) = left
        page = _page_of(where, part, keyset(part), limit + 1)
        keys = [page.c[f"sort_key{i}"] for i in range(len(part.order.keys))]
        query = _cards(page, *keys).order_by(*part.order.clauses(tuple(keys))).limit(limit + 1)
        width = len(keys)
        rows = (await session.execute(query)).all()
        return [Placed(row, part.number, tuple(row[-width:])) for row in rows]
    found: list[Row[Any]] = []
    for part in left:
        page = _page_of(where, part, keyset(part), limit + 1 - len(found))
        found += (await session.execute(select(page))).all()
        if len(found) > limit:
            break
    if not found:
        return []
    query = _cards(None).where(Listing.id.in_([f.listing_id for f in found]))
    by_id = {row.listing_id: row for row in (await session.execute(query)).all()}
    return [
        Placed(by_id[f.listing_id], f.section, tuple(f)[2:]) for f in found if f.listing_id in by_id
    ]


async def facets(session: AsyncSession, where: CatalogFilter) -> dict[str, dict[str, int]]:
    """Counts of cards by product type, domain, venue and merchant city, over every match."""
    conditions = _conditions(where)
    if where.query is not None:
        conditions.append(matching(where.query))
    found = (
        _candidates(
            Listing.venue_code,
            Product.product_type,
            Product.domains,
            func.left(Merchant.region_code, 4).label("city"),
        )
        .where(*conditions)
        .cte("matching")
    )
    domains = select(func.unnest(found.c.domains).label("domain")).subquery("domains")
    query = union_all(
        select(literal("product_type"), found.c.product_type, func.count()).group_by(
            found.c.product_type
        ),
        select(literal("domain"), domains.c.domain, func.count()).group_by(domains.c.domain),
        select(literal("venue_code"), found.c.venue_code, func.count()).group_by(
            found.c.venue_code
        ),
        select(literal("region"), found.c.city, func.count()).group_by(found.c.city),
    )
    counts: dict[str, dict[str, int]] = {
        "product_type": {},
        "domain": {},
        "venue_code": {},
        "region": {},
    }
    for facet, value, n in (await session.execute(query)).all():
        counts[facet][value] = n
    return {name: dict(sorted(by_value.items())) for name, by_value in counts.items()}


async def card(session: AsyncSession, listing_id: UUID) -> tuple[Row[Any], Product] | None:
    """One listed listing's card, with its product in full."""
    query = _cards(None, Product).where(
        Listing.id == listing_id, Listing.status == ListingStatus.listed.value
    )
    row = (await session.execute(query)).first()
    if row is None:
        return None
    product: Product = row.Product
    return row, product


async def other_listings(
    session: AsyncSession, product_id: UUID, other_than: UUID
) -> list[Row[Any]]:
    """The product's other listed listings, by venue code, each with its venue's compliance
    result."""
    compliance = _LATERALS[1]
    query = (
        select(
            Listing.id,
            Listing.venue_code,
            Venue.name.label("venue_name"),
            Listing.price_model,
            Listing.price_amount,
            Listing.price_unit,
            Listing.currency,
            Listing.listed_at,
            compliance.c.result.label("compliance_result"),
            compliance.c.assessed_at.label("compliance_assessed_at"),
        )
        .select_from(Listing)
        .join(Product, Product.id == Listing.product_id)
        .join(Venue, Venue.code == Listing.venue_code)
        .outerjoin(compliance, true())
        .where(
            Listing.product_id == product_id,
            Listing.id != other_than,
            Listing.status == ListingStatus.listed.value,
        )
        .order_by(Listing.venue_code)
    )
    return list((await session.execute(query)).all())

"""The catalog's rules: which order a page comes in, what its cursor holds, and how a row
of the read model becomes a card."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import repository
from app.catalog.repository import CatalogFilter
from app.catalog.schemas import (
    EXCERPT_CHARS,
    CardCertificate,
    CardCompliance,
    CardListing,
    CardMerchant,
    CardProduct,
    CardQuality,
    CatalogCard,
    CatalogFacets,
    CatalogProductPage,
    CatalogSort,
    OtherListing,
)
from app.core.errors import BadRequest, NotFound
from app.core.i18n import Text
from app.core.pagination import decode_cursor, encode_cursor
from app.core.regions import city_name
from app.ip.effective import effective_status
from app.ip.states import IpStatus
from app.listings.schemas import PriceOut
from app.products import search
from app.products.schemas import ProductOut

CARD = Text("catalog card", "目录卡片")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_MICROSECONDS = int((datetime(9999, 12, 31, tzinfo=UTC) - _EPOCH) / timedelta(microseconds=1))
_MAX_CENTS = 10**16 - 1
_BAD_CURSOR = Text(
    "The cursor is not valid for this sort: pass `next_cursor` of the previous page "
    "unchanged, with the same `sort`.",
    "cursor 对此排序无效:请原样传入上一页返回的 `next_cursor`,并使用相同的 `sort`。",
)


def _microseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _moment(microseconds: int) -> datetime:
    if not 0 <= microseconds <= _MAX_MICROSECONDS:
        raise BadRequest(_BAD_CURSOR)
    return _EPOCH + timedelta(microseconds=microseconds)


def _amount(cents: int) -> Decimal:
    """A price a listing can hold (numeric(16,2)), from cents."""
    if not -_MAX_CENTS <= cents <= _MAX_CENTS:
        raise BadRequest(_BAD_CURSOR)
    return Decimal(cents) / 100


def _cursor(sort: CatalogSort, placed: repository.Placed) -> str:
    """`[sort, section, key, id]`: a moment as microseconds, a price as cents."""
    first, listing_id = placed.keys
    key = _microseconds(first) if isinstance(first, datetime) else int(Decimal(first) * 100)
    return encode_cursor([sort.value, placed.section, key, str(listing_id)])


def _after(
    cursor: str | None, sort: CatalogSort, parts: list[repository.Section]
) -> tuple[int, tuple[Any, ...]] | None:
    """The keyset a cursor holds; 400 for a cursor of another sort, or one tampered with."""
    if cursor is None:
        return None
    tag, number, first, listing_id = decode_cursor(cursor, str, int, int, UUID)
    part = next((p for p in parts if p.number == number), None)
    if tag != sort.value or part is None:
        raise BadRequest(_BAD_CURSOR)
    key: Any = _moment(first) if part.order is repository.NEWEST else _amount(first)
    return number, (key, listing_id)


def _price(row: Row[Any]) -> PriceOut:
    return PriceOut.model_validate(
        {
            "model": row.price_model,
            "amount": row.price_amount,
            "unit": row.price_unit,
            "currency": row.currency,
        }
    )


def _compliance(row: Row[Any]) -> CardCompliance | None:
    if row.compliance_result is None:
        return None
    return CardCompliance(result=row.compliance_result, assessed_at=row.compliance_assessed_at)


def _excerpt(description: str) -> str:
    if len(description) > EXCERPT_CHARS:
        return description[:EXCERPT_CHARS] + "…"
    return description


def card_of(row: Row[Any], today: date) -> CatalogCard:
    """A row of the read model as the card a front end shows."""
    quality = None
    if row.grade is not None and row.overall is not None:
        quality = CardQuality(
            grade=row.grade, overall=row.overall, assessed_at=row.quality_assessed_at
        )
    certificate = None
    # Only a certificate in force today: one past its validity is no certificate of the card.
    if row.certificate_number is not None and (
        effective_status(row.certificate_status, row.certificate_valid_until, today)
        is IpStatus.registered
    ):
        certificate = CardCertificate(
            number=row.certificate_number,
            status=IpStatus.registered,
            valid_until=row.certificate_valid_until,
        )
    return CatalogCard(
        listing=CardListing(
            id=row.listing_id,
            venue_code=row.venue_code,
            venue_name=row.venue_name,
            price=_price(row),
            listed_at=row.listed_at,
        ),
        product=CardProduct(
            id=row.product_id,
            name=row.product_name,
            description_excerpt=_excerpt(row.description or ""),
            product_type=row.product_type,
            domains=row.domains,
            tags=row.tags,
            data_as_of=row.data_as_of,
            update_frequency=row.update_frequency,
            delivery_modes=row.delivery_modes,
        ),
        merchant=CardMerchant(
            id=row.merchant_id,
            name=row.merchant_name,
            region_code=row.region_code,
            city_name=city_name(row.region_code),
            tier=row.tier,
        ),
        quality=quality,
        compliance=_compliance(row),
        certificate=certificate,
    )


async def page(
    session: AsyncSession,
    where: CatalogFilter,
    q: str | None,
    sort: CatalogSort | None,
    cursor: str | None,
    limit: int,
    with_facets: bool,
) -> tuple[list[CatalogCard], str | None, CatalogFacets | None]:
    """A catalog page: by relevance when `q` is given (unless another `sort` is asked for),
    else newest first. Every order ends with the listing id, so a page is the same for the
    same data, whoever asks (an ETag over the body holds)."""
    sort = sort or (CatalogSort.relevance if q else CatalogSort.newest)
    query = search.query(q) if q else None
    if q and query is None:  # only punctuation: nothing can match
        empty = CatalogFacets(product_type={}, domain={}, venue_code={}, region={})
        return [], None, (empty if with_facets else None)
    where = replace(where, query=query)
    parts = repository.sections(sort.value, query)
    placed = await repository.cards_page(session, where, parts, _after(cursor, sort, parts), limit)
    shown = placed[:limit]
    next_cursor = _cursor(sort, shown[-1]) if len(placed) > limit and shown else None
    facets = None
    if with_facets:
        facets = CatalogFacets(**await repository.facets(session, where))
    return [card_of(p.row, where.today) for p in shown], next_cursor, facets


async def product_page(session: AsyncSession, listing_id: UUID, today: date) -> CatalogProductPage:
    """A listed listing's card, its product in full and the product's other listed
    listings; 404 for a listing that is not listed (a suspended one included)."""
    found = await repository.card(session, listing_id)
    if found is None:
        raise NotFound.of(CARD, listing_id)
    row, product = found
    others = await repository.other_listings(session, product.id, listing_id)
    return CatalogProductPage(
        card=card_of(row, today),
        product=ProductOut.model_validate(product),
        other_listings=[
            OtherListing(
                id=other.id,
                venue_code=other.venue_code,
                venue_name=other.venue_name,
                price=_price(other),
                listed_at=other.listed_at,
                compliance=_compliance(other),
            )
            for other in others
        ],
    )

"""`/v1/catalog`: catalog cards for front ends. A catalog page and a product page are one
anonymous request each; what they show is the same for every caller. A key, when one is
sent, is checked and counted against its rate limit as anywhere else."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from app.catalog import service
from app.catalog.repository import CatalogFilter
from app.catalog.schemas import CatalogPage, CatalogProductPage, CatalogSort
from app.core.clock import shanghai_today
from app.core.errors import ValidationFailed
from app.core.i18n import Text
from app.core.money import Amount
from app.core.pagination import PageParams, page_params
from app.products.schemas import Domain, ProductType
from app.venues.query import VenueFilter
from app.web.auth import OptionalPrincipal
from app.web.deps import ReadSession
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(prefix="/v1/catalog", tags=["catalog"], route_class=ReplicaAwareRoute)

PriceBound = Annotated[
    Amount | None, Query(description="CNY; negotiable prices (no amount) are left out.")
]


@router.get("", response_model=CatalogPage, responses=errors(400, 401, 422))
async def list_cards(
    session: ReadSession,
    who: OptionalPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Chinese or English words, as `/v1/products`; every word must match.",
        ),
    ] = None,
    venue_code: VenueFilter = None,
    product_type: ProductType | None = None,
    domain: Domain | None = None,
    region: Annotated[
        str | None,
        Query(pattern=r"^[0-9]{2,6}$", description="Merchant's region prefix, `3301` 杭州."),
    ] = None,
    merchant_id: UUID | None = None,
    price_min: PriceBound = None,
    price_max: PriceBound = None,
    certified: Annotated[
        bool | None,
        Query(description="`true`: a data IP certificate in force; `false`: none in force."),
    ] = None,
    sort: Annotated[
        CatalogSort | None,
        Query(description="Default: `relevance` with `q`, else `newest`."),
    ] = None,
    facets: Annotated[
        bool,
        Query(description="Add counts by type, domain, venue and merchant city of all matches."),
    ] = False,
) -> CatalogPage:
    """Catalog cards: one per listed listing, with what a catalog page shows of its product,
    merchant, venue, quality grade (an independent assessor's), compliance result at the
    venue and data IP certificate. Keyset paged; a cursor holds its sort."""
    low = Decimal(price_min) if price_min is not None else None
    high = Decimal(price_max) if price_max is not None else None
    if low is not None and high is not None and low > high:
        raise ValidationFailed.field(
            ["query", "price_min"], Text("is above price_max", "高于 price_max")
        )
    where = CatalogFilter(
        today=shanghai_today(),
        venue_code=venue_code,
        product_type=product_type.value if product_type else None,
        domain=domain.value if domain else None,
        region_prefix=region,
        merchant_id=merchant_id,
        price_min=low,
        price_max=high,
        certified=certified,
    )
    cards, next_cursor, counts = await service.page(
        session, where, q, sort, page.cursor, page.limit, facets
    )
    return CatalogPage(items=cards, next_cursor=next_cursor, facets=counts)


@router.get("/{listing_id}", response_model=CatalogProductPage, responses=errors(401, 404, 422))
async def get_product_page(
    listing_id: UUID, session: ReadSession, who: OptionalPrincipal
) -> CatalogProductPage:
    """A product page: the listing's card, the product in full and its other listed
    listings. 404 unless the listing is listed (a suspended one is no card)."""
    return await service.product_page(session, listing_id, shanghai_today())

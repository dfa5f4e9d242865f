"""`/v1/products`: data products, their revisions, and the searchable catalog."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status

from app.core.clock import INSTANT_BOUNDS, QueryInstant
from app.core.errors import NotFound
from app.core.etags import not_modified, set_etag, validator
from app.core.pagination import Page, PageParams, cut, decode_cursor, page_params
from app.core.principal import Principal
from app.products import repository, service
from app.products.auth import ProductsWrite
from app.products.repository import ProductFilter
from app.products.schemas import (
    Classification,
    Domain,
    Facets,
    ProductCreate,
    ProductOut,
    ProductPage,
    ProductStatus,
    ProductType,
    ProductUpdate,
    RevisionOut,
)
from app.venues.query import VenueFilter
from app.web.auth import CurrentPrincipal, OptionalPrincipal
from app.web.deps import PublicReadSession, ReadSession, Session
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(prefix="/v1/products", tags=["products"], route_class=ReplicaAwareRoute)


@router.post(
    "",
    response_model=ProductOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 422),
)
async def create_product(
    data: ProductCreate, session: Session, who: ProductsWrite, response: Response
) -> ProductOut:
    """Describe a data product. A merchant key creates it for its own merchant; an operator
    names `merchant_id`. It starts as a `draft` at revision 1."""
    product = await service.create(session, who, data)
    set_etag(response, product.revision)
    response.headers["Location"] = f"/v1/products/{product.id}"
    return ProductOut.model_validate(product)


@router.get("", response_model=ProductPage, responses=errors(401, 422))
async def list_products(
    session: ReadSession,
    who: OptionalPrincipal,
    request: Request,
    response: Response,
    page: Annotated[PageParams, Depends(page_params)],
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Chinese or English words; every word must match. Ranked by relevance.",
        ),
    ] = None,
    product_type: ProductType | None = None,
    domain: Domain | None = None,
    merchant_id: UUID | None = None,
    status: ProductStatus | None = None,
    classification: Classification | None = None,
    updated_since: Annotated[
        QueryInstant | None, Query(description=f"updated_at ≥ this; {INSTANT_BOUNDS}")
    ] = None,
    venue_code: VenueFilter = None,
    facets: Annotated[
        bool,
        Query(description="Add counts by type, domain, classification and venue of all matches."),
    ] = False,
) -> ProductPage | Response:
    """The catalog. Anonymous callers see listed products; a merchant its own and listed
    ones; operators, assessors and auditors every product."""
    where = ProductFilter(
        product_type=product_type.value if product_type else None,
        domain=domain.value if domain else None,
        merchant_id=merchant_id,
        status=status.value if status else None,
        classification=classification.value if classification else None,
        updated_since=updated_since,
        venue_code=venue_code,
    )
    items, next_cursor, counts = await service.search_page(
        session, who, where, q, page.cursor, page.limit, facets
    )
    # The page is its products' columns (each change of them a new revision, the same for
    # whoever may see it), the cursor and the counts: a 304 builds none of it.
    shown = [(str(p.id), p.revision) for p in items]
    etag = validator(None, ProductPage, shown, next_cursor, counts)
    return not_modified(request, response, etag) or ProductPage(
        items=[ProductOut.model_validate(p) for p in items],
        next_cursor=next_cursor,
        facets=Facets(**counts) if counts is not None else None,
    )


@router.get("/{product_id}", response_model=ProductOut, responses=errors(401, 404, 422))
async def get_product(
    product_id: UUID,
    session: PublicReadSession,
    who: OptionalPrincipal,
    request: Request,
    response: Response,
) -> ProductOut | Response:
    """One product, if the caller may see it (404 otherwise)."""
    product = await service.get_visible(session, who, product_id)
    # The body is the product's columns, the same for whoever may see it; every change of
    # them is a new revision.
    unchanged = not_modified(request, response, validator(product.revision, ProductOut))
    return unchanged or ProductOut.model_validate(product)


@router.patch(
    "/{product_id}",
    response_model=ProductOut,
    responses=errors(401, 403, 404, 409, 412, 422),
)
async def update_product(
    product_id: UUID,
    data: ProductUpdate,
    session: Session,
    who: ProductsWrite,
    response: Response,
    if_match: Annotated[
        str | None, Header(description="The ETag last read; 412 if the product changed since.")
    ] = None,
) -> ProductOut:
    """Change a product; every change makes a new revision. `status` moves
    draft → active → retired (and retired → active); other steps are 409."""
    product = await service.update(session, who, product_id, data, if_match)
    set_etag(response, product.revision)
    return ProductOut.model_validate(product)


async def _revisable(session: Session, who: Principal, product_id: UUID) -> None:
    """Revisions are for the product's merchant and the roles that read everything."""
    product = await repository.get(session, product_id)
    if product is None or not (who.reads_everything() or who.owns_merchant(product.merchant_id)):
        raise NotFound.of(service.PRODUCT, product_id)


@router.get(
    "/{product_id}/revisions",
    response_model=Page[RevisionOut],
    responses=errors(401, 404, 422),
)
async def list_revisions(
    product_id: UUID,
    session: PublicReadSession,
    who: CurrentPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[RevisionOut]:
    """Every revision, oldest first, with what changed and who changed it."""
    await _revisable(session, who, product_id)
    after = decode_cursor(page.cursor, int)[0] if page.cursor else None
    rows = await repository.revisions(session, product_id, after, page.limit)
    items, next_cursor = cut(rows, page.limit, lambda r: [r.number])
    return Page[RevisionOut](
        items=[RevisionOut.model_validate(r) for r in items], next_cursor=next_cursor
    )


@router.get(
    "/{product_id}/revisions/{number}",
    response_model=RevisionOut,
    responses=errors(401, 404, 422),
)
async def get_revision(
    product_id: UUID,
    number: Annotated[int, Path(ge=1, le=2_147_483_647)],
    session: PublicReadSession,
    who: CurrentPrincipal,
) -> RevisionOut:
    """One revision: the whole product as it was, and what that change changed."""
    await _revisable(session, who, product_id)
    revision = await repository.revision(session, product_id, number)
    if revision is None:
        raise NotFound.of(service.PRODUCT, f"{product_id} revision {number}")
    return RevisionOut.model_validate(revision)

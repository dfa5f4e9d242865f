"""`/v1/listings`: products offered on venues, and the steps from draft to listed and beyond."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Header, Path, Request, Response, status

from app.core.etags import not_modified, set_etag, validator
from app.core.pagination import Page, PageParams, cut, id_after, page_params
from app.core.principal import Principal
from app.listings import service
from app.listings.auth import ListingsWrite
from app.listings.models import Listing
from app.listings.repository import ListingFilter
from app.listings.schemas import ListingCreate, ListingEventOut, ListingOut, PriceOut, Transition
from app.listings.states import Action, ListingStatus, allowed_for
from app.venues.query import VenueFilter
from app.web.auth import CurrentPrincipal, OptionalPrincipal
from app.web.deps import PublicReadSession, ReadSession, Session
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(prefix="/v1/listings", tags=["listings"], route_class=ReplicaAwareRoute)


def listing_out(listing: Listing, who: Principal | None) -> ListingOut:
    return ListingOut(
        id=listing.id,
        product_id=listing.product_id,
        venue_code=listing.venue_code,
        merchant_id=listing.merchant_id,
        status=ListingStatus(listing.status),
        price=PriceOut.model_validate(
            {
                "model": listing.price_model,
                "amount": listing.price_amount,
                "unit": listing.price_unit,
                "currency": listing.currency,
            }
        ),
        trial_terms=listing.trial_terms,
        licence=listing.licence,
        listed_at=listing.listed_at,
        allowed_actions=allowed_for(ListingStatus(listing.status), service.caller_of(who, listing)),
        created_at=listing.created_at,
        updated_at=listing.updated_at,
        version=listing.version,
    )


@router.post(
    "",
    response_model=ListingOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 404, 409, 422),
)
async def create_listing(
    data: ListingCreate, session: Session, who: ListingsWrite, response: Response
) -> ListingOut:
    """Offer a product on a venue, as a draft (the product's merchant, or an operator).
    One live listing per product and venue: a second is 409."""
    listing = await service.create(session, who, data)
    set_etag(response, listing.version)
    response.headers["Location"] = f"/v1/listings/{listing.id}"
    return listing_out(listing, who)


ListingPage = Page[ListingOut]


@router.get("", response_model=ListingPage, responses=errors(401, 422))
async def list_listings(
    session: ReadSession,
    who: OptionalPrincipal,
    request: Request,
    response: Response,
    page: Annotated[PageParams, Depends(page_params)],
    product_id: UUID | None = None,
    venue_code: VenueFilter = None,
    merchant_id: UUID | None = None,
    status: ListingStatus | None = None,
) -> ListingPage | Response:
    """Listings, oldest first. Anonymous callers see `listed` ones only; a merchant also its
    own; operators, assessors and auditors all."""
    where = ListingFilter(
        product_id=product_id,
        venue_code=venue_code,
        merchant_id=merchant_id,
        status=status.value if status else None,
    )
    rows = await service.list_page(session, who, where, id_after(page), page.limit)
    items, next_cursor = cut(rows, page.limit, lambda item: [str(item.id)])
    # As one listing's ETag (`get_listing`), for each of the page's, and the cursor.
    shown = [(str(item.id), item.version, service.caller_of(who, item).value) for item in items]
    etag = validator(None, ListingPage, shown, next_cursor)
    return not_modified(request, response, etag) or ListingPage(
        items=[listing_out(item, who) for item in items], next_cursor=next_cursor
    )


@router.get("/{listing_id}", response_model=ListingOut, responses=errors(401, 404, 422))
async def get_listing(
    listing_id: UUID,
    session: PublicReadSession,
    who: OptionalPrincipal,
    request: Request,
    response: Response,
) -> ListingOut | Response:
    """One listing, if the caller may see it."""
    listing = await service.get_visible(session, who, listing_id)
    # The body is the listing's columns (a change of any is a new version) and the steps
    # the caller may take, which follow from the state and who the caller is to it.
    etag = validator(listing.version, ListingOut, service.caller_of(who, listing))
    return not_modified(request, response, etag) or listing_out(listing, who)


@router.get(
    "/{listing_id}/events", response_model=Page[ListingEventOut], responses=errors(401, 404, 422)
)
async def list_listing_events(
    listing_id: UUID,
    session: PublicReadSession,
    who: CurrentPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[ListingEventOut]:
    """Every step of the listing, oldest first: who, when, from, to, and why. Operators,
    auditors and the listing's merchant read them in full; anyone else who may see the
    listing gets the steps with `actor_key_id`, `request_id`, `reason` and `details` empty."""
    rows, in_full = await service.events_page(session, who, listing_id, id_after(page), page.limit)
    items, next_cursor = cut(rows, page.limit, lambda e: [str(e.id)])
    shown = [ListingEventOut.model_validate(e) for e in items]
    return Page[ListingEventOut](
        items=shown if in_full else [e.redacted() for e in shown], next_cursor=next_cursor
    )


@router.post(
    "/{listing_id}/{action}",
    response_model=ListingOut,
    responses=errors(401, 403, 404, 409, 412, 422),
)
async def take_step(
    listing_id: UUID,
    action: Annotated[
        Action, Path(description="submit, approve, reject, suspend, resume or delist")
    ],
    session: Session,
    who: CurrentPrincipal,
    response: Response,
    data: Annotated[Transition, Body()] = Transition(),  # noqa: B008 - immutable default
    if_match: Annotated[str | None, Header(description="The listing's ETag.")] = None,
) -> ListingOut:
    """Move the listing: `submit` (merchant or operator), `approve` and `resume` (operator)
    check the listing gates against the product's current revision and answer 409 with
    `missing` naming every unmet one; `reject`, `suspend` and `delist` need a `reason`; an
    illegal step is 409 naming the current state and the steps the caller may take."""
    listing = await service.take(session, who, listing_id, action, data.reason, if_match)
    set_etag(response, listing.version)
    return listing_out(listing, who)

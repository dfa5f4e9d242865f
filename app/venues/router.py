"""`/v1/venues`: the exchange venues. Reading is public; creating is for operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from app.auth.dependencies import OperatorOnly
from app.deps import Session
from app.etags import set_etag
from app.openapi_docs import errors
from app.pagination import Page, PageParams, cut, decode_cursor, page_params
from app.venues import repository, service
from app.venues.schemas import VenueCreate, VenueOut

router = APIRouter(prefix="/v1/venues", tags=["venues"])

VenueCode = Annotated[str, Path(pattern=r"^[A-Z][A-Z0-9]{1,15}$", examples=["ZJBDEX"])]


@router.get("", response_model=Page[VenueOut], responses=errors(400, 422))
async def list_venues(
    session: Session, page: Annotated[PageParams, Depends(page_params)]
) -> Page[VenueOut]:
    """All venues, by code. Public."""
    after = str(decode_cursor(page.cursor, 1)[0]) if page.cursor else None
    rows = await repository.list_page(session, after, page.limit)
    items, next_cursor = cut(rows, page.limit, lambda v: [v.code])
    return Page[VenueOut](
        items=[VenueOut.model_validate(v) for v in items], next_cursor=next_cursor
    )


@router.post(
    "",
    response_model=VenueOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 409, 422),
)
async def create_venue(
    data: VenueCreate, session: Session, who: OperatorOnly, response: Response
) -> VenueOut:
    """Register a venue (operator). Without `negative_list` it gets the default list."""
    venue = await service.create(session, who, data)
    set_etag(response, venue.version)
    response.headers["Location"] = f"/v1/venues/{venue.code}"
    return VenueOut.model_validate(venue)


@router.get("/{code}", response_model=VenueOut, responses=errors(404, 422))
async def get_venue(code: VenueCode, session: Session, response: Response) -> VenueOut:
    """One venue, with its fee rate and negative list. Public."""
    venue = await service.get(session, code)
    set_etag(response, venue.version)
    return VenueOut.model_validate(venue)

"""`/v1/venues`: the exchange venues. Reading is public; creating is for operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Response, status

from app.core.errors import NotFound
from app.core.etags import not_modified, set_etag, validator
from app.core.pagination import Page, PageParams, cut, decode_cursor, page_params
from app.venues import repository, service
from app.venues.schemas import NegativeListIn, NegativeListOut, VenueCreate, VenueOut
from app.web.auth import OperatorOnly
from app.web.deps import PublicReadSession, ReadSession, Session
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(prefix="/v1/venues", tags=["venues"], route_class=ReplicaAwareRoute)

VenueCode = Annotated[str, Path(pattern=r"^[A-Z][A-Z0-9]{1,15}$", examples=["ZJBDEX"])]


@router.get("", response_model=Page[VenueOut], responses=errors(400, 422))
async def list_venues(
    session: ReadSession,
    page: Annotated[PageParams, Depends(page_params)],
    request: Request,
    response: Response,
) -> Page[VenueOut] | Response:
    """All venues, by code. Public."""
    after = decode_cursor(page.cursor, str)[0] if page.cursor else None
    rows = await repository.list_page(session, after, page.limit)
    items, next_cursor = cut(rows, page.limit, lambda v: [v.code])
    # As one venue's ETag (`get_venue`), for each of the page's, and the cursor.
    etag = validator(None, Page[VenueOut], [(v.code, v.version) for v in items], next_cursor)
    return not_modified(request, response, etag) or Page[VenueOut](
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
async def get_venue(
    code: VenueCode, session: PublicReadSession, request: Request, response: Response
) -> VenueOut | Response:
    """One venue, with its fee rate and negative list. Public."""
    venue = await service.get(session, code)
    # The body is the venue's columns, and any change of them is a new version.
    unchanged = not_modified(request, response, validator(venue.version, VenueOut))
    return unchanged or VenueOut.model_validate(venue)


@router.get("/{code}/negative-list", response_model=NegativeListOut, responses=errors(404, 422))
async def get_negative_list(code: VenueCode, session: PublicReadSession) -> NegativeListOut:
    """The venue's negative list (负面清单) in force, with its version. Public."""
    venue = await service.get(session, code)
    entry = await repository.negative_list(session, code, venue.negative_list_version)
    if entry is None:  # pragma: no cover - every venue has its versions from the migration on
        raise NotFound.of(service.VENUE, code)
    return NegativeListOut.model_validate(entry)


@router.put(
    "/{code}/negative-list",
    response_model=NegativeListOut,
    responses=errors(401, 403, 404, 412, 422),
)
async def replace_negative_list(
    code: VenueCode,
    data: NegativeListIn,
    session: Session,
    who: OperatorOnly,
    response: Response,
    if_match: Annotated[
        str | None, Header(description="The venue's ETag; 412 if it changed since.")
    ] = None,
) -> NegativeListOut:
    """Replace the venue's negative list (operator). The new list is the next version;
    assessments keep naming the version they applied."""
    entry = await service.replace_negative_list(
        session, who, code, [rule.model_dump() for rule in data.rules], if_match
    )
    venue = await service.get(session, code)
    set_etag(response, venue.version)
    return NegativeListOut.model_validate(entry)


@router.get(
    "/{code}/negative-list/versions",
    response_model=Page[NegativeListOut],
    responses=errors(400, 404, 422),
)
async def list_negative_list_versions(
    code: VenueCode, session: ReadSession, page: Annotated[PageParams, Depends(page_params)]
) -> Page[NegativeListOut]:
    """Every version of the venue's negative list, newest first. Public."""
    await service.get(session, code)
    before = decode_cursor(page.cursor, int)[0] if page.cursor else None
    rows = await repository.negative_lists(session, code, before, page.limit)
    items, next_cursor = cut(rows, page.limit, lambda e: [e.version])
    return Page[NegativeListOut](
        items=[NegativeListOut.model_validate(e) for e in items], next_cursor=next_cursor
    )

"""`/v1/merchants`: data merchants (数商). Operators register them; anyone reads the public
directory; operators, auditors and the merchant itself read the whole record."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from app.core.etags import not_modified, set_etag
from app.core.pagination import PageParams, cut, id_after, page_params
from app.merchants import service
from app.merchants.auth import MerchantsEdit
from app.merchants.repository import MerchantFilter
from app.merchants.schemas import (
    Category,
    MerchantCreate,
    MerchantOut,
    MerchantPage,
    MerchantPublic,
    MerchantUpdate,
    MerchantView,
    ThirdPartyRole,
    Tier,
)
from app.web.auth import OperatorOnly, OptionalPrincipal
from app.web.deps import PublicReadSession, ReadSession, Session
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(prefix="/v1/merchants", tags=["merchants"], route_class=ReplicaAwareRoute)


@router.post(
    "",
    response_model=MerchantOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 409, 422),
)
async def create_merchant(
    data: MerchantCreate, session: Session, who: OperatorOnly, response: Response
) -> MerchantOut:
    """Register a merchant (operator). The USCC's check character is verified (422) and
    must be unique (409)."""
    merchant = await service.create(session, who, data)
    set_etag(response, merchant.version)
    response.headers["Location"] = f"/v1/merchants/{merchant.id}"
    shown = service.view(who, merchant, listed=0)  # new: nothing of it is listed yet
    assert isinstance(shown, MerchantOut)  # operators read the whole record
    return shown


@router.get("", response_model=MerchantPage, responses=errors(400, 401, 422))
async def list_merchants(
    session: ReadSession,
    who: OptionalPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    region: Annotated[
        str | None,
        Query(pattern=r"^[0-9]{2,6}$", description="Region code prefix, e.g. `3301` for 杭州."),
    ] = None,
    tier: Tier | None = None,
    category: Category | None = None,
    third_party_role: ThirdPartyRole | None = None,
    dcmm_min: Annotated[
        int | None,
        Query(ge=1, le=5, description="A DCMM certificate in force at this level or higher."),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Part of the name, or a USCC; also part of the description of the "
            "merchants whose whole record the caller reads (operators and auditors: all; a "
            "merchant key: its own).",
        ),
    ] = None,
) -> MerchantPage:
    """The merchant directory, oldest first, for anyone. Each item is the public profile
    (`profile: public`), or the whole record (`profile: full`) for operators, auditors and
    the merchant itself."""
    where = MerchantFilter(
        region_prefix=region,
        tier=tier.value if tier else None,
        category=category.value if category else None,
        third_party_role=third_party_role.value if third_party_role else None,
        dcmm_min=dcmm_min,
        q=q,
    )
    rows = await service.list_page(session, who, where, id_after(page), page.limit)
    items, next_cursor = cut(rows, page.limit, lambda m: [str(m.id)])
    return MerchantPage(items=await service.views(session, who, items), next_cursor=next_cursor)


@router.get("/{merchant_id}", response_model=MerchantView, responses=errors(401, 404, 422))
async def get_merchant(
    merchant_id: UUID,
    session: PublicReadSession,
    who: OptionalPrincipal,
    request: Request,
    response: Response,
) -> MerchantOut | MerchantPublic | Response:
    """One merchant: its public profile for anyone, the whole record for operators,
    auditors and the merchant itself, whose `ETag` is what `If-Match` of a PATCH names."""
    shown = await service.shown(session, who, merchant_id)
    return not_modified(request, response, shown.etag()) or shown.view()


@router.patch(
    "/{merchant_id}",
    response_model=MerchantOut,
    responses=errors(401, 403, 404, 409, 412, 422),
)
async def update_merchant(
    merchant_id: UUID,
    data: MerchantUpdate,
    session: Session,
    who: MerchantsEdit,
    response: Response,
    if_match: Annotated[
        str | None, Header(description="The ETag last read; 412 if the merchant changed since.")
    ] = None,
) -> MerchantOut:
    """Change a merchant. Operators change any field; a merchant only its own
    `contact_email`, `website` and `description`."""
    merchant = await service.update(session, who, merchant_id, data, if_match)
    set_etag(response, merchant.version)
    (shown,) = await service.views(session, who, [merchant])
    assert isinstance(shown, MerchantOut)  # only operators and the merchant itself get here
    return shown

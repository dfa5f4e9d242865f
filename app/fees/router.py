"""`/v1/venues/{code}/fee-waivers`: a venue's fee-waiver rules (减免撮合服务费). Reading is
public; creating and ending are for operators."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Response, status

from app.core.pagination import Page, PageParams, cut, id_after, page_params
from app.fees import service
from app.fees.auth import FeesWrite
from app.fees.schemas import FeeWaiverCreate, FeeWaiverEnd, FeeWaiverOut
from app.web.deps import PublicReadSession, Session
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(prefix="/v1/venues", tags=["fee waivers"], route_class=ReplicaAwareRoute)

VenueCode = Annotated[str, Path(pattern=r"^[A-Z][A-Z0-9]{1,15}$", examples=["ZJBDEX"])]


def _out(rule: object) -> FeeWaiverOut:
    return FeeWaiverOut.model_validate(rule)


@router.post(
    "/{code}/fee-waivers",
    response_model=FeeWaiverOut,
    response_model_by_alias=True,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 404, 422),
)
async def create_fee_waiver(
    code: VenueCode, data: FeeWaiverCreate, session: Session, who: FeesWrite, response: Response
) -> FeeWaiverOut:
    """A waiver rule of the venue (operator): from its creation on, an on-venue trade recorded
    at the venue, dated (`occurred_at`, Asia/Shanghai) within `from` … `to`, whose seller the
    rule fits, has `percent` of its fee waived, at most `cap_per_merchant` per seller and
    calendar year under this rule; of several rules that fit, the largest waiver wins. A
    rule never changes a fee already recorded, and is never changed (but for `…/end`)."""
    rule = await service.create(session, who, code, data)
    response.headers["Location"] = f"/v1/venues/{code}/fee-waivers/{rule.id}"
    return _out(rule)


@router.get(
    "/{code}/fee-waivers",
    response_model=Page[FeeWaiverOut],
    response_model_by_alias=True,
    responses=errors(400, 404, 422),
)
async def list_fee_waivers(
    code: VenueCode,
    session: PublicReadSession,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[FeeWaiverOut]:
    """The venue's waiver rules, oldest first (ended ones too). Public."""
    rows = await service.list_page(session, code, id_after(page), page.limit)
    items, next_cursor = cut(rows, page.limit, lambda r: [r.id])
    return Page[FeeWaiverOut](items=[_out(r) for r in items], next_cursor=next_cursor)


@router.get(
    "/{code}/fee-waivers/{waiver_id}",
    response_model=FeeWaiverOut,
    response_model_by_alias=True,
    responses=errors(404, 422),
)
async def get_fee_waiver(
    code: VenueCode, waiver_id: UUID, session: PublicReadSession
) -> FeeWaiverOut:
    """One waiver rule of the venue. Public."""
    return _out(await service.get(session, code, waiver_id))


@router.post(
    "/{code}/fee-waivers/{waiver_id}/end",
    response_model=FeeWaiverOut,
    response_model_by_alias=True,
    responses=errors(401, 403, 404, 422),
)
async def end_fee_waiver(
    code: VenueCode, waiver_id: UUID, data: FeeWaiverEnd, session: Session, who: FeesWrite
) -> FeeWaiverOut:
    """Bring the rule's last day forward to `to` (operator): trades recorded under it keep
    their waiver; a rule is never extended (create a new one). Ending it again on the same
    day changes nothing."""
    return _out(await service.end(session, who, code, waiver_id, data))

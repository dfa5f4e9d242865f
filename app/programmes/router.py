"""`/v1/programmes` (incentive programmes: public to read, operators create; the eligible
merchants, the claims and the bureau's summary) and `/v1/programme-claims` (one claim, and
the operator's decisions on it)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status

from app.core.etags import not_modified, validator
from app.core.money import cents
from app.core.pagination import (
    Page,
    PageParams,
    cut,
    decode_cursor,
    encode_cursor,
    id_after,
    page_params,
)
from app.programmes import service, workbook
from app.programmes.auth import ProgrammesClaim, ProgrammesRead, ProgrammesStaff
from app.programmes.models import Programme
from app.programmes.schemas import (
    ClaimCreate,
    ClaimOut,
    ClaimState,
    Decision,
    EligibleOut,
    Evidence,
    ProgrammeCreate,
    ProgrammeOut,
    StateTotal,
    Summary,
    SummaryRow,
)
from app.web.auth import OperatorOnly
from app.web.deps import ReadSession, Session
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(prefix="/v1/programmes", tags=["programmes"], route_class=ReplicaAwareRoute)
claims_router = APIRouter(
    prefix="/v1/programme-claims", tags=["programmes"], route_class=ReplicaAwareRoute
)

ProgrammeCode = Annotated[
    str, Path(pattern=r"^[A-Z0-9][A-Z0-9_-]{1,39}$", examples=["HZ-FIRSTS-2026"])
]


def programme_out(programme: Programme, used: Any) -> ProgrammeOut:
    return ProgrammeOut(
        id=programme.id,
        code=programme.code,
        name=programme.name,
        issuer=programme.issuer,
        region_codes=programme.region_codes,
        firsts=programme.firsts,
        from_=programme.starts_on,
        to=programme.ends_on,
        tiers=programme.tiers,
        cap_per_merchant=cents(programme.cap_per_merchant),
        budget=cents(programme.budget),
        budget_used=cents(used),
        created_at=programme.created_at,
        version=programme.version,
    )


def claim_out(view: service.ClaimView) -> ClaimOut:
    c = view.claim
    return ClaimOut(
        id=c.id,
        programme_code=view.programme_code,
        merchant_id=c.merchant_id,
        first=c.first_kind,
        date=c.first_date,
        amount=cents(c.amount),
        state=ClaimState(c.state),
        evidence=Evidence.model_validate(c.evidence),
        evidence_changed=view.evidence_changed,
        created_at=c.created_at,
        decided_at=c.decided_at,
        paid_at=c.paid_at,
        version=c.version,
    )


@router.post(
    "",
    response_model=ProgrammeOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 409, 422),
)
async def create_programme(
    data: ProgrammeCreate, session: Session, who: OperatorOnly, response: Response
) -> ProgrammeOut:
    """Define a programme (operator): the firsts it rewards and the amount of each, the
    regions it covers (administrative prefixes: `33` a province, `3301` a city, `330106` a
    county), the window the first's date must lie in, the tiers (omit for all), the cap per
    merchant and the budget. 409 when the code exists."""
    programme = await service.create(session, who, data)
    response.headers["Location"] = f"/v1/programmes/{programme.code}"
    return programme_out(programme, 0)


@router.get("", response_model=Page[ProgrammeOut], responses=errors(400, 422))
async def list_programmes(
    session: ReadSession, page: Annotated[PageParams, Depends(page_params)]
) -> Page[ProgrammeOut]:
    """Every programme, by code, with `budget_used` (approved and paid). Public."""
    after = decode_cursor(page.cursor, str)[0] if page.cursor else None
    rows, used = await service.page(session, after, page.limit)
    items, next_cursor = cut(rows, page.limit, lambda p: [p.code])
    return Page[ProgrammeOut](
        items=[programme_out(p, used.get(p.id, 0)) for p in items], next_cursor=next_cursor
    )


@router.get("/{programme_code}", response_model=ProgrammeOut, responses=errors(404, 422))
async def get_programme(programme_code: ProgrammeCode, session: ReadSession) -> ProgrammeOut:
    """One programme with `budget_used` (approved and paid). Public."""
    programme = await service.get(session, programme_code)
    return programme_out(programme, await service.used(session, programme))


@router.get(
    "/{programme_code}/eligible",
    response_model=Page[EligibleOut],
    responses=errors(400, 401, 403, 404, 422),
)
async def list_eligible(
    programme_code: ProgrammeCode,
    session: ReadSession,
    who: ProgrammesRead,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[EligibleOut]:
    """The merchants' firsts the programme rewards, as their records stand now: the
    merchant's region within the programme's, the first's date within the window, its tier
    among `tiers` when set. Each with the amount and the evidence (the first's record, and
    its log and leaf index when it is a ledger leaf). By merchant name. Operators and
    auditors see every merchant; a merchant's key only its own firsts; anyone else 401/403
    (the public reads the programme, not whom it pays)."""
    items = await service.eligible(session, who, programme_code)
    # The list is computed whole (firsts are read, not stored): the cursor is an offset.
    start = max(0, decode_cursor(page.cursor, int)[0]) if page.cursor else 0
    shown = items[start : start + page.limit]
    more = len(items) > start + page.limit
    next_cursor = encode_cursor([start + page.limit]) if more else None
    return Page[EligibleOut](
        items=[
            EligibleOut(
                merchant_id=e.merchant.id,
                merchant_name=e.merchant.name,
                first=e.first.kind,
                date=e.first.date,
                amount=cents(e.amount),
                evidence=Evidence.model_validate(service.evidence_of(e.first)),
            )
            for e in shown
        ],
        next_cursor=next_cursor,
    )


@router.post(
    "/{programme_code}/claims",
    response_model=ClaimOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 404, 409, 422),
)
async def create_claim(
    programme_code: ProgrammeCode,
    data: ClaimCreate,
    session: Session,
    who: ProgrammesClaim,
    response: Response,
) -> ClaimOut:
    """Claim a first under the programme: a merchant's key for itself, an operator for the
    merchant it names. 422 unless the first is eligible now; 409 on a second claim of the
    same programme, merchant and first (whatever became of the first). The claim keeps the
    first's evidence and starts `applied`."""
    view = await service.claim(session, who, programme_code, data)
    response.headers["Location"] = f"/v1/programme-claims/{view.claim.id}"
    response.headers["ETag"] = _claim_etag(view)
    return claim_out(view)


@router.get(
    "/{programme_code}/claims",
    response_model=Page[ClaimOut],
    responses=errors(400, 401, 403, 404, 422),
)
async def list_claims(
    programme_code: ProgrammeCode,
    session: ReadSession,
    who: ProgrammesRead,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[ClaimOut]:
    """The programme's claims, oldest first, in every state, with `evidence_changed` as the
    records stand now. Operators and auditors see all; a merchant's key its own."""
    views = await service.claims(session, who, programme_code, id_after(page), page.limit)
    items, next_cursor = cut(views, page.limit, lambda v: [v.claim.id])
    return Page[ClaimOut](items=[claim_out(v) for v in items], next_cursor=next_cursor)


def _wants_workbook(request: Request, asked: str | None) -> bool:
    if asked:
        return asked == "xlsx"
    accept = (request.headers.get("accept") or "").lower()
    return any(p.split(";")[0].strip() == workbook.MEDIA_TYPE for p in accept.split(","))


@router.get(
    "/{programme_code}/summary",
    response_model=Summary,
    responses={
        200: {
            "description": "The summary; as XLSX when `format` or `Accept` asks for it.",
            "content": {workbook.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        **errors(401, 403, 404, 422),
    },
)
async def get_summary(
    programme_code: ProgrammeCode,
    request: Request,
    session: ReadSession,
    who: ProgrammesStaff,
    format_: Annotated[
        str | None,
        Query(
            alias="format",
            pattern="^(json|xlsx)$",
            description="`json` or `xlsx`; else `Accept` decides.",
        ),
    ] = None,
) -> Any:
    """申报汇总表: every claim of the programme by merchant and first (amount, state,
    `evidence_changed`), the totals per state, the budget, what is used (approved and paid)
    and what remains. Operators and auditors. As XLSX (`format=xlsx` or `Accept:
    application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`): one sheet headed
    by 编制单位 (the issuer), 期间, 计划 and 单位：元, the same numbers."""
    data = await service.summary(session, programme_code)
    totals = service.totals(data.views)
    p = data.programme
    body = Summary(
        programme_code=p.code,
        name=p.name,
        issuer=p.issuer,
        from_=p.starts_on,
        to=p.ends_on,
        rows=[
            SummaryRow(
                merchant_id=v.claim.merchant_id,
                merchant_name=data.merchants[v.claim.merchant_id].name,
                uscc=data.merchants[v.claim.merchant_id].uscc,
                first=v.claim.first_kind,
                date=v.claim.first_date,
                amount=cents(v.claim.amount),
                state=ClaimState(v.claim.state),
                evidence_changed=v.evidence_changed,
            )
            for v in data.views
        ],
        totals={s: StateTotal(count=n, amount=cents(a)) for s, (n, a) in totals.items()},
        budget=cents(p.budget),
        used=cents(data.used),
        remaining=cents(p.budget - data.used),
    )
    if not _wants_workbook(request, format_):
        return body
    return Response(
        content=workbook.render(body),
        media_type=workbook.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="programme-{p.code}-summary.xlsx"'},
    )


def _claim_etag(view: service.ClaimView) -> str:
    """The claim's version, and what else its body shows (`evidence_changed` moves with the
    merchant's records): `If-Match` with it names the version."""
    return validator(view.claim.version, ClaimOut, view.evidence_changed, view.claim.state)


@claims_router.get("/{claim_id}", response_model=ClaimOut, responses=errors(401, 403, 404, 422))
async def get_claim(
    claim_id: UUID, session: ReadSession, who: ProgrammesRead, request: Request, response: Response
) -> ClaimOut | Response:
    """One claim (the claiming merchant, operators, auditors), `evidence_changed` as the
    records stand now. Its ETag names its version (`If-Match` on a decision)."""
    view = await service.get_claim(session, who, claim_id)
    return not_modified(request, response, _claim_etag(view)) or claim_out(view)


@claims_router.post(
    "/{claim_id}/{decision}",
    response_model=ClaimOut,
    responses=errors(401, 403, 404, 409, 412, 422),
)
async def decide_claim(
    claim_id: UUID,
    decision: Annotated[Decision, Path(description="approve, reject (applied) or pay (approved)")],
    session: Session,
    who: OperatorOnly,
    response: Response,
    if_match: Annotated[
        str | None, Header(description="The claim's version as an ETag; 412 if it changed.")
    ] = None,
) -> ClaimOut:
    """An operator's decision: `approve` or `reject` an applied claim, `pay` an approved one;
    another order is 409 naming the state and what may follow. An approval that would take
    approved and paid past the budget is 409 `budget_exhausted`, past the merchant's cap 409
    `cap_exceeded`, also when many are approved at once. A retry is a 409, never a second
    payment."""
    view = await service.decide(session, who, claim_id, decision, if_match)
    response.headers["ETag"] = _claim_etag(view)
    return claim_out(view)

"""`/v1/ip-registrations` (数据知识产权登记) and `/v1/certificates/{number}` (public
verification of a certificate)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import shanghai_today
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import ValidationFailed
from app.core.etags import set_etag
from app.core.i18n import Text
from app.core.pagination import Page, PageParams, cut, id_after, page_params
from app.core.principal import Principal
from app.ip import repository, service
from app.ip.auth import IpHolderSteps, IpRegistrarSteps
from app.ip.models import IpRegistration
from app.ip.repository import OPEN_PLEDGE, OpenPledges
from app.ip.schemas import (
    CertificateOut,
    ConsentCreate,
    ConsentOut,
    Decision,
    Examination,
    IpChange,
    IpRegistrationCreate,
    IpRegistrationDetail,
    IpRegistrationOut,
    LicenceCreate,
    LicenceOut,
    ObjectionCreate,
    ObjectionDecision,
    ObjectionOut,
    OptionalReason,
    Party,
    PledgeCreate,
    PledgeOut,
    ReasonBody,
    Release,
    StepOut,
    Transfer,
)
from app.ip.states import Action, IpStatus
from app.merchants import repository as merchants
from app.products import repository as products
from app.web.auth import CurrentPrincipal, OptionalPrincipal
from app.web.deps import AppSettings, PublicReadSession, ReadSession, Session
from app.web.idempotency import RETRY_SAFE
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(
    prefix="/v1/ip-registrations", tags=["ip-registrations"], route_class=ReplicaAwareRoute
)
certificates = APIRouter(
    prefix="/v1/certificates", tags=["ip-registrations"], route_class=ReplicaAwareRoute
)

IfMatch = Annotated[str | None, Header(description="The registration's ETag.")]
STEP_ERRORS = errors(401, 403, 404, 409, 412, 422, 428)


def registration_out(
    registration: IpRegistration,
    who: Principal | None,
    pledges: OpenPledges,
    settings: Settings,
    now: datetime,
) -> IpRegistrationOut:
    """The registration as `who` sees it: `allowed_actions` are the caller's own."""
    today = shanghai_today(now)
    return IpRegistrationOut(
        id=registration.id,
        product_id=registration.product_id,
        applicant_merchant_id=registration.applicant_merchant_id,
        holder_merchant_id=registration.holder_merchant_id,
        data_name=registration.data_name,
        domain=registration.domain,
        sources=registration.sources,
        scale=registration.scale,
        data_format=registration.data_format,
        structure=registration.structure,
        update_frequency=registration.update_frequency,
        time_span_start=registration.time_span_start,
        time_span_end=registration.time_span_end,
        processing_rules=registration.processing_rules,
        application_scenarios=registration.application_scenarios,
        evidence_digest=registration.evidence_digest,
        evidence_reference=registration.evidence_reference,
        status=service.effective_status(registration, today),
        publicity_starts_at=registration.publicity_starts_at,
        publicity_ends_at=registration.publicity_ends_at,
        certificate_number=registration.certificate_number,
        granted_on=registration.granted_on,
        valid_until=registration.valid_until,
        decision_reason=registration.decision_reason,
        suspension_reason=registration.suspension_reason,
        allowed_actions=service.allowed_actions(registration, who, pledges, settings, now),
        created_at=registration.created_at,
        updated_at=registration.updated_at,
        version=registration.version,
    )


async def _detail(
    session: AsyncSession,
    registration: IpRegistration,
    response: Response,
    who: Principal | None,
    settings: Settings,
) -> IpRegistrationDetail:
    set_etag(response, registration.version)
    pledges = await repository.pledges(session, registration.id)
    consents = await repository.consents(session, registration.id)
    open_ = OpenPledges(
        [p for p in pledges if p.status in OPEN_PLEDGE],
        [c for c in consents if c.used_at is None],
    )
    return IpRegistrationDetail(
        **registration_out(registration, who, open_, settings, utcnow()).model_dump(),
        objections=[
            ObjectionOut.model_validate(o)
            for o in await repository.objections(session, registration.id)
        ],
        licences=[
            LicenceOut.model_validate(lic)
            for lic in await repository.licences(session, registration.id)
        ],
        pledges=[PledgeOut.model_validate(p) for p in pledges],
        consents=[ConsentOut.model_validate(c) for c in consents],
        history=[
            StepOut.model_validate(s) for s in await repository.steps(session, registration.id)
        ],
    )


@router.post(
    "",
    response_model=IpRegistrationDetail,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 404, 409, 422),
)
async def apply(
    data: IpRegistrationCreate,
    session: Session,
    settings: AppSettings,
    who: IpHolderSteps,
    response: Response,
) -> IpRegistrationDetail:
    """Apply to register the data IP of a product (its merchant; or an operator for it).
    Core data, sources without proof of lawful authorisation and missing evidence are 422
    with `reasons`; a product under an open ownership objection, or with a registration in
    progress or in force, is 409."""
    registration = await service.create(session, who, data)
    response.headers["Location"] = f"/v1/ip-registrations/{registration.id}"
    return await _detail(session, registration, response, who, settings)


@router.get("", response_model=Page[IpRegistrationOut], responses=errors(401, 422))
async def list_registrations(
    session: ReadSession,
    settings: AppSettings,
    who: OptionalPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    status: IpStatus | None = None,
    product_id: UUID | None = None,
    holder_merchant_id: UUID | None = None,
) -> Page[IpRegistrationOut]:
    """Registrations, oldest first: anyone sees those under public notice or certified; a
    merchant also its own applications; operators, assessors and auditors all. `status` is
    the status shown: `expired` includes certificates past `valid_until` that the hourly
    sweep has not yet recorded, and `registered` leaves them out."""
    where = repository.IpFilter(
        status=status, product_id=product_id, holder_merchant_id=holder_merchant_id
    )
    now = utcnow()
    rows = await repository.list_page(
        session, who, where, shanghai_today(now), id_after(page), page.limit
    )
    items, next_cursor = cut(rows, page.limit, lambda r: [str(r.id)])
    pledges = await repository.open_pledges(session, [r.id for r in items])
    return Page[IpRegistrationOut](
        items=[registration_out(r, who, pledges[r.id], settings, now) for r in items],
        next_cursor=next_cursor,
    )


@router.get(
    "/{registration_id}", response_model=IpRegistrationDetail, responses=errors(401, 404, 422)
)
async def get_registration(
    registration_id: UUID,
    session: PublicReadSession,
    settings: AppSettings,
    who: OptionalPrincipal,
    response: Response,
) -> IpRegistrationDetail:
    """One registration with its objections, licences, pledges and every step, each with
    its position in the registry log `IPR`."""
    registration = await service.get_visible(session, who, registration_id)
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/examine",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def examine(
    registration_id: UUID,
    data: Examination,
    session: Session,
    who: IpRegistrarSteps,
    settings: AppSettings,
    response: Response,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """Formal examination (operator): `accept` starts the public notice (公示) of
    `SHUSHANG_IP_NOTICE_WORKING_DAYS` working days; `reject` needs a `reason`."""
    if data.decision is Decision.accept:
        registration = await service.examine_accept(
            session, who, registration_id, if_match, settings
        )
    else:
        if not data.reason:
            raise ValidationFailed.field(
                ["body", "reason"], Text("is required to reject", "驳回时必填")
            )
        registration = await service.reject(
            session, who, registration_id, data.reason, if_match, settings
        )
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/reject",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def reject(
    registration_id: UUID,
    data: ReasonBody,
    session: Session,
    settings: AppSettings,
    who: IpRegistrarSteps,
    response: Response,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """Refuse a registration under examination or under objection (operator)."""
    registration = await service.reject(
        session, who, registration_id, data.reason, if_match, settings
    )
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/objections",
    response_model=ObjectionOut,
    status_code=status.HTTP_201_CREATED,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def raise_objection(
    registration_id: UUID,
    data: ObjectionCreate,
    session: Session,
    settings: AppSettings,
    who: CurrentPrincipal,
    if_match: IfMatch = None,
) -> ObjectionOut:
    """Object during the public notice (a merchant other than the holder, or an operator;
    the holder, auditors and assessors get 403): the registration becomes `objected` until
    the operator decides. After the notice, 409. It changes no money or title, but it holds
    the registration: a retry must not object twice, so it takes the headers of a step."""
    _, objection = await service.object_to(
        session, who, registration_id, data, settings, if_match=if_match
    )
    return ObjectionOut.model_validate(objection)


@router.post(
    "/{registration_id}/objections/{objection_id}/{decision}",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def decide_objection(
    registration_id: UUID,
    objection_id: UUID,
    decision: Annotated[
        ObjectionDecision,
        Path(description="`uphold` (the registration is rejected) or `dismiss`."),
    ],
    session: Session,
    settings: AppSettings,
    who: IpRegistrarSteps,
    response: Response,
    data: OptionalReason | None = None,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """Decide an open objection (operator). Upholding rejects the registration and needs a
    `reason`; dismissing the last open one resumes the public notice."""
    reason = data.reason if data else None
    uphold = decision is ObjectionDecision.uphold
    if uphold and not reason:
        raise ValidationFailed.field(
            ["body", "reason"], Text("is required to uphold", "维持异议时必填")
        )
    registration = await service.decide_objection(
        session, who, registration_id, objection_id, uphold, reason, settings, if_match=if_match
    )
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/grant",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def grant(
    registration_id: UUID,
    session: Session,
    who: IpRegistrarSteps,
    settings: AppSettings,
    response: Response,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """Register and issue the certificate (operator): only after the public notice has
    ended with no open objection (409 before, saying when it ends). The certificate number
    has 17 digits: year, month, the registry's code (3300) and a serial."""
    registration = await service.grant(session, who, registration_id, if_match, settings)
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/renew",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def renew(
    registration_id: UUID,
    session: Session,
    who: IpHolderSteps,
    settings: AppSettings,
    response: Response,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """Renew the certificate for another term (the holder or an operator): only within
    `SHUSHANG_IP_RENEWAL_WINDOW_DAYS` before `valid_until` (409 before, naming the window's
    first day), once per window. The new `valid_until` is the old one plus
    `SHUSHANG_IP_VALIDITY_YEARS`, up to the end of any source agreement."""
    registration = await service.renew(session, who, registration_id, if_match, settings)
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/change",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def change(
    registration_id: UUID,
    data: IpChange,
    session: Session,
    settings: AppSettings,
    who: IpHolderSteps,
    response: Response,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """变更 the registered particulars (the holder or an operator); the step keeps the old
    and new values."""
    registration = await service.change(session, who, registration_id, data, if_match, settings)
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/transfer",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def transfer(
    registration_id: UUID,
    data: Transfer,
    session: Session,
    settings: AppSettings,
    who: IpHolderSteps,
    response: Response,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """转移 to another merchant (the holder or an operator); while a pledge is in force, 409
    unless the operator recorded the pledgee's consent to this transfer."""
    registration = await service.transfer(
        session, who, registration_id, data.to_merchant_id, data.reason, if_match, settings
    )
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/license",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def license(
    registration_id: UUID,
    data: LicenceCreate,
    session: Session,
    settings: AppSettings,
    who: IpHolderSteps,
    response: Response,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """许可: license the data IP (the holder or an operator). An exclusive licence admits no
    overlapping licence, and none may overlap an exclusive one (409). While a pledge is in
    force, 409 unless the operator recorded the pledgee's consent to this licence."""
    registration = await service.license(session, who, registration_id, data, if_match, settings)
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/pledge",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def pledge(
    registration_id: UUID,
    data: PledgeCreate,
    session: Session,
    settings: AppSettings,
    who: IpHolderSteps,
    response: Response,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """Apply to pledge the data IP as security (质押登记, the holder or an operator): the
    pledge is `applied` and restricts nothing, nor shows on the certificate, until confirmed
    (`…/pledges/{pledge_id}/confirm`). One pledge applied for or in force at a time. Name the
    pledgee's `pledgee_merchant_id` when it is a merchant of the exchange, so that its key
    may confirm and release the pledge (else only an operator may); its `pledgee_name` is
    then that merchant's registered name."""
    registration = await service.pledge(session, who, registration_id, data, if_match, settings)
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/pledges/{pledge_id}/confirm",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def confirm_pledge(
    registration_id: UUID,
    pledge_id: UUID,
    session: Session,
    settings: AppSettings,
    who: IpHolderSteps,
    response: Response,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """The pledgee's side of 质押登记: the key of the merchant the pledge names as pledgee,
    or an operator (having seen the contract; the only one for a pledgee that is no
    merchant), puts an `applied` pledge `in_force`. From then on transfer, cancel and
    licence need the pledgee's consent. Anyone else: 403."""
    registration = await service.confirm(
        session, who, registration_id, pledge_id, if_match, settings
    )
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/pledges/{pledge_id}/withdraw",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def withdraw_pledge(
    registration_id: UUID,
    pledge_id: UUID,
    session: Session,
    settings: AppSettings,
    who: IpHolderSteps,
    response: Response,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """Withdraw an `applied` pledge (the holder or an operator); one in force: 409."""
    registration = await service.withdraw(
        session, who, registration_id, pledge_id, if_match, settings
    )
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/pledges/{pledge_id}/consent",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def consent_to_step(
    registration_id: UUID,
    pledge_id: UUID,
    data: ConsentCreate,
    session: Session,
    settings: AppSettings,
    who: IpRegistrarSteps,
    response: Response,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """Record the pledgee's consent to one step (`transfer`, `cancel` or `license`) on a
    pledge in force (operator; 民法典 第四百四十四条). It admits that step once."""
    registration = await service.consent(
        session, who, registration_id, pledge_id, data, if_match, settings
    )
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/release",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def release(
    registration_id: UUID,
    data: Release,
    session: Session,
    settings: AppSettings,
    who: IpHolderSteps,
    response: Response,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """Release a pledge in force: the operator (recording the pledgee's release), or the
    pledgee's own merchant key when the pledge names `pledgee_merchant_id`. The holder
    alone: 403. An applied pledge is withdrawn, not released (409)."""
    registration = await service.release(
        session, who, registration_id, data.pledge_id, if_match, settings
    )
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/cancel",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def cancel(
    registration_id: UUID,
    session: Session,
    settings: AppSettings,
    who: IpHolderSteps,
    response: Response,
    data: OptionalReason | None = None,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """注销 the certificate (the holder or an operator); while a pledge is in force, 409
    unless the operator recorded the pledgee's consent to this cancellation."""
    registration = await service.end(
        session,
        who,
        registration_id,
        Action.cancel,
        data.reason if data else None,
        if_match,
        settings,
    )
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/revoke",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def revoke(
    registration_id: UUID,
    data: ReasonBody,
    session: Session,
    settings: AppSettings,
    who: IpRegistrarSteps,
    response: Response,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """撤销 the certificate (operator, with a reason)."""
    registration = await service.end(
        session, who, registration_id, Action.revoke, data.reason, if_match, settings
    )
    return await _detail(session, registration, response, who, settings)


@router.post(
    "/{registration_id}/reinstate",
    response_model=IpRegistrationDetail,
    responses=STEP_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def reinstate(
    registration_id: UUID,
    session: Session,
    settings: AppSettings,
    who: IpRegistrarSteps,
    response: Response,
    data: OptionalReason | None = None,
    if_match: IfMatch = None,
) -> IpRegistrationDetail:
    """Lift a suspension after review (operator): a registration `suspended` because its
    product became core data is `registered` again. 409 while the product is still core."""
    registration = await service.reinstate(
        session, who, registration_id, data.reason if data else None, if_match, settings
    )
    return await _detail(session, registration, response, who, settings)


@certificates.get("/{number}", response_model=CertificateOut, responses=errors(404, 422))
async def verify_certificate(
    number: Annotated[str, Path(pattern=r"^[0-9]{17}$", examples=["20261133000000001"])],
    session: PublicReadSession,
) -> CertificateOut:
    """Verify a certificate (anyone): holder, product, status and whether it is valid
    today, licences and pledges in force, the evidence digest, and every step with its leaf
    in the registry log `IPR` (prove each with `/v1/ledgers/IPR/proofs/inclusion`)."""
    registration = await service.certificate(session, number)
    today = shanghai_today()
    holder = await merchants.get(session, registration.holder_merchant_id)
    product = await products.get(session, registration.product_id)
    assert holder is not None and product is not None and registration.granted_on is not None
    assert registration.valid_until is not None and registration.certificate_number is not None
    current = service.effective_status(registration, today)
    licences = await repository.licences(session, registration.id)
    pledges = await repository.pledges(session, registration.id)
    return CertificateOut(
        certificate_number=registration.certificate_number,
        registration_id=registration.id,
        status=current,
        valid_today=current is IpStatus.registered
        and registration.granted_on <= today <= registration.valid_until,
        suspension_reason=registration.suspension_reason,
        granted_on=registration.granted_on,
        valid_until=registration.valid_until,
        holder=Party(id=holder.id, name=holder.name),
        product=Party(id=product.id, name=product.name),
        data_name=registration.data_name,
        domain=registration.domain,
        evidence_digest=registration.evidence_digest,
        licences_in_force=[
            LicenceOut.model_validate(lic) for lic in service.licences_in_force(licences, today)
        ],
        pledges_in_force=[
            PledgeOut.model_validate(p) for p in service.pledges_in_force(pledges, today)
        ],
        history=[
            StepOut.model_validate(s) for s in await repository.steps(session, registration.id)
        ],
    )

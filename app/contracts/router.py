"""Contract negotiations and agreements over our API (DESIGN.md "Contracts and delivery"):
`/v1/listings/{id}/negotiations`, `/v1/negotiations[/{id}[/<step>]]`, `/v1/agreements/{id}`.
Each step is retry-safe (`If-Match` with the negotiation's ETag, or `Idempotency-Key`)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Header, Request, Response, status

from app.contracts import service
from app.contracts.auth import ContractsRead, ContractsWrite
from app.contracts.models import Negotiation
from app.contracts.schemas import (
    AgreementOut,
    NegotiationOut,
    NegotiationStepOut,
    NegotiationSummary,
    OfferChange,
    OfferIn,
)
from app.contracts.states import Step
from app.core.etags import set_etag
from app.core.pagination import Page, PageParams, cut, id_after, page_params
from app.ledger.signing import signer_of
from app.web.deps import AppSettings, Session
from app.web.idempotency import RETRY_SAFE
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(tags=["contracts"], route_class=ReplicaAwareRoute)

IfMatch = Annotated[
    str | None, Header(description="The negotiation's ETag (its version) as last read.")
]


async def _out(session: Session, negotiation: Negotiation, response: Response) -> NegotiationOut:
    steps = await service.steps(session, negotiation.id)
    set_etag(response, negotiation.version)
    out = NegotiationOut.model_validate(negotiation)
    out.steps = [NegotiationStepOut.model_validate(s) for s in steps]
    return out


@router.post(
    "/v1/listings/{listing_id}/negotiations",
    response_model=NegotiationOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 404, 409, 422),
)
async def request_negotiation(
    listing_id: UUID, data: OfferIn, session: Session, who: ContractsWrite, response: Response
) -> NegotiationOut:
    """A buyer merchant (the consumer) requests a contract on a listed listing with its
    offer (REQUESTED): the listing's merchant is the provider. The offer is kept as an ODRL
    policy (DOMAIN.md "Rights as ODRL actions"); the step is a leaf of the venue's log."""
    negotiation = await service.request(session, who, listing_id, data)
    response.headers["Location"] = f"/v1/negotiations/{negotiation.id}"
    return await _out(session, negotiation, response)


@router.get(
    "/v1/negotiations",
    response_model=Page[NegotiationSummary],
    responses=errors(400, 401, 403, 422),
)
async def list_negotiations(
    session: Session,
    who: ContractsRead,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[NegotiationSummary]:
    """The negotiations the caller may read (a merchant's own, as either party; operators
    and auditors all), by id."""
    rows = await service.list_page(session, who, id_after(page), page.limit)
    items, next_cursor = cut(rows, page.limit, lambda r: [r.id])
    return Page[NegotiationSummary](
        items=[NegotiationSummary.model_validate(r) for r in items], next_cursor=next_cursor
    )


@router.get(
    "/v1/negotiations/{negotiation_id}",
    response_model=NegotiationOut,
    responses=errors(401, 403, 404, 422),
)
async def get_negotiation(
    negotiation_id: UUID, session: Session, who: ContractsRead, response: Response
) -> NegotiationOut:
    """One negotiation with its steps (each with its leaf index in the venue's log): the
    parties, operators and auditors; 404 for anyone else."""
    return await _out(session, await service.get(session, who, negotiation_id), response)


async def _take(
    request: Request,
    session: Session,
    settings: AppSettings,
    who: ContractsWrite,
    negotiation_id: UUID,
    action: Step,
    if_match: str | None,
    response: Response,
    offer: OfferChange | None = None,
) -> NegotiationOut:
    negotiation = await service.take(
        session,
        who,
        negotiation_id,
        action,
        if_match,
        offer,
        signer_of(request.app.state),
        settings.log_origin,
    )
    return await _out(session, negotiation, response)


_STEP = {
    "response_model": NegotiationOut,
    "responses": errors(401, 403, 404, 409, 412, 422, 428),
    "dependencies": [RETRY_SAFE],
}


@router.post("/v1/negotiations/{negotiation_id}/offer", **_STEP)  # type: ignore[arg-type]
async def offer_negotiation(
    negotiation_id: UUID,
    request: Request,
    session: Session,
    settings: AppSettings,
    who: ContractsWrite,
    response: Response,
    data: Annotated[OfferChange | None, Body()] = None,
    if_match: IfMatch = None,
) -> NegotiationOut:
    """The provider offers (REQUESTED → OFFERED): the terms in force (no body, or `{}`),
    or new ones (`rights`, `purpose` and `term_end` together)."""
    return await _take(
        request, session, settings, who, negotiation_id, Step.offer, if_match, response, data
    )


@router.post("/v1/negotiations/{negotiation_id}/accept", **_STEP)  # type: ignore[arg-type]
async def accept_negotiation(
    negotiation_id: UUID,
    request: Request,
    session: Session,
    settings: AppSettings,
    who: ContractsWrite,
    response: Response,
    if_match: IfMatch = None,
) -> NegotiationOut:
    """The consumer accepts the provider's offer (OFFERED → ACCEPTED)."""
    return await _take(
        request, session, settings, who, negotiation_id, Step.accept, if_match, response
    )


@router.post("/v1/negotiations/{negotiation_id}/agree", **_STEP)  # type: ignore[arg-type]
async def agree_negotiation(
    negotiation_id: UUID,
    request: Request,
    session: Session,
    settings: AppSettings,
    who: ContractsWrite,
    response: Response,
    if_match: IfMatch = None,
) -> NegotiationOut:
    """The provider agrees (REQUESTED or ACCEPTED → AGREED): the agreement on the offer in
    force is made, canonical (RFC 8785), hashed and signed by the venue (`agreement_id`)."""
    return await _take(
        request, session, settings, who, negotiation_id, Step.agree, if_match, response
    )


@router.post("/v1/negotiations/{negotiation_id}/verify", **_STEP)  # type: ignore[arg-type]
async def verify_negotiation(
    negotiation_id: UUID,
    request: Request,
    session: Session,
    settings: AppSettings,
    who: ContractsWrite,
    response: Response,
    if_match: IfMatch = None,
) -> NegotiationOut:
    """The consumer verifies the agreement (AGREED → VERIFIED)."""
    return await _take(
        request, session, settings, who, negotiation_id, Step.verify, if_match, response
    )


@router.post("/v1/negotiations/{negotiation_id}/finalize", **_STEP)  # type: ignore[arg-type]
async def finalize_negotiation(
    negotiation_id: UUID,
    request: Request,
    session: Session,
    settings: AppSettings,
    who: ContractsWrite,
    response: Response,
    if_match: IfMatch = None,
) -> NegotiationOut:
    """The provider finalizes (VERIFIED → FINALIZED): the agreement is in force."""
    return await _take(
        request, session, settings, who, negotiation_id, Step.finalize, if_match, response
    )


@router.post("/v1/negotiations/{negotiation_id}/terminate", **_STEP)  # type: ignore[arg-type]
async def terminate_negotiation(
    negotiation_id: UUID,
    request: Request,
    session: Session,
    settings: AppSettings,
    who: ContractsWrite,
    response: Response,
    if_match: IfMatch = None,
) -> NegotiationOut:
    """Either party ends the negotiation before FINALIZED (→ TERMINATED)."""
    return await _take(
        request, session, settings, who, negotiation_id, Step.terminate, if_match, response
    )


@router.get(
    "/v1/agreements/{agreement_id}",
    response_model=AgreementOut,
    responses=errors(401, 403, 404, 422),
)
async def get_agreement(agreement_id: UUID, session: Session, who: ContractsRead) -> AgreementOut:
    """An agreement: its ODRL `document`, the SHA-256 of its RFC 8785 canonical bytes, the
    venue's signed note on the line `sha256:<hex>`, and the trade that records it: once
    FINALIZED, the first trade on the listing between the parties whose `contract_digest`
    is `sha256` (null until one is recorded). The parties, operators and auditors; 404 for
    anyone else."""
    found, trade_id = await service.agreement(session, who, agreement_id)
    return AgreementOut.of(found, trade_id)

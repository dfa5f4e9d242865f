"""`/v1/products/{id}/quality-assessments`, `…/compliance-assessments`, `…/valuations`.

Results are immutable: there is no PUT, PATCH or DELETE on any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Response, status
from pydantic import BaseModel

from app.assessments import repository, service
from app.assessments.auth import AssessmentsRun
from app.assessments.models import Assessment
from app.assessments.schemas import (
    Assessor,
    ComplianceAssessmentOut,
    ComplianceRequest,
    QualityAssessmentOut,
    QualityRequest,
    ValuationOut,
    ValuationRequest,
)
from app.core.pagination import Page, PageParams, cut, id_after, page_params
from app.core.principal import Principal
from app.web.auth import CurrentPrincipal
from app.web.deps import AppSettings, PublicReadSession, Session
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

T = TypeVar("T")
router = APIRouter(
    prefix="/v1/products/{product_id}", tags=["assessments"], route_class=ReplicaAwareRoute
)

_RUN_ERRORS = errors(401, 403, 404, 409, 422)
_READ_ERRORS = errors(401, 404, 422)


def _common(a: Assessment) -> dict[str, Any]:
    return {
        "id": a.id,
        "product_id": a.product_id,
        "product_revision": a.product_revision,
        "self_check": a.self_check,
        "assessed_by": Assessor(
            key_id=a.actor_key_id, role=a.actor_role, merchant_id=a.actor_merchant_id
        ),
        "rules_version": a.rules_version,
        "inputs": a.inputs,
        "duration_ms": a.duration_ms,
        "created_at": a.created_at,
    }


def _present(value: T | None) -> T:
    assert value is not None, "quality and compliance assessments always name their sample"
    return value


def quality_out(a: Assessment) -> QualityAssessmentOut:
    r = a.result
    return QualityAssessmentOut(
        **_common(a),
        sample_id=_present(a.sample_id),
        sample_sha256=_present(a.sample_sha256),
        indicators={k: float(v) for k, v in r["indicators"].items()},
        overall=float(r["overall"]),
        grade=r["grade"],
        quality_coefficient=float(r["quality_coefficient"]),
        rows=r["rows"],
        weights={k: float(v) for k, v in r["weights"].items()},
        columns=r["columns"],
        details=r["details"],
    )


def compliance_out(a: Assessment) -> ComplianceAssessmentOut:
    r = a.result
    return ComplianceAssessmentOut(
        **_common(a),
        sample_id=_present(a.sample_id),
        sample_sha256=_present(a.sample_sha256),
        result=r["result"],
        findings=r["findings"],
        venues=r["venues"],
        personal_info_found=r["personal_info_found"],
        rows_scanned=r["rows_scanned"],
    )


def valuation_out(a: Assessment) -> ValuationOut:
    r = a.result
    return ValuationOut(
        **_common(a),
        method=r["method"],
        value=r["value"],
        formula=r["formula"],
        factors=r["factors"],
        breakdown=r["breakdown"],
        comparables=r.get("comparables"),
        excluded=r.get("excluded"),
    )


def _located(response: Response, product_id: UUID, path: str, a: Assessment) -> None:
    response.headers["Location"] = f"/v1/products/{product_id}/{path}/{a.id}"


@router.post(
    "/quality-assessments",
    response_model=QualityAssessmentOut,
    status_code=status.HTTP_201_CREATED,
    responses=_RUN_ERRORS,
)
async def run_quality_assessment(
    product_id: UUID,
    session: Session,
    who: AssessmentsRun,
    response: Response,
    data: Annotated[QualityRequest, Body()] = QualityRequest(),  # noqa: B008 - immutable default
) -> QualityAssessmentOut:
    """Assess the quality of a sample (GB/T 36344-2018): the six indicators, overall score,
    grade and quality coefficient, with a per-column breakdown. 409 without a sample."""
    a = await service.run_quality(session, who, product_id, data)
    _located(response, product_id, "quality-assessments", a)
    return quality_out(a)


@router.post(
    "/compliance-assessments",
    response_model=ComplianceAssessmentOut,
    status_code=status.HTTP_201_CREATED,
    responses=_RUN_ERRORS,
)
async def run_compliance_assessment(
    product_id: UUID,
    session: Session,
    who: AssessmentsRun,
    response: Response,
    data: Annotated[ComplianceRequest, Body()] = ComplianceRequest(),  # noqa: B008 - immutable default
) -> ComplianceAssessmentOut:
    """Assess compliance: personal information found in the sample against what is declared,
    classification, lawful sources, cross-border rules and each venue's negative list.
    `fail` with any blocker, `conditional` with any major finding, else `pass`."""
    a = await service.run_compliance(session, who, product_id, data)
    _located(response, product_id, "compliance-assessments", a)
    return compliance_out(a)


@router.post(
    "/valuations",
    response_model=ValuationOut,
    status_code=status.HTTP_201_CREATED,
    responses=_RUN_ERRORS,
)
async def run_valuation(
    product_id: UUID,
    data: ValuationRequest,
    session: Session,
    who: AssessmentsRun,
    response: Response,
    settings: AppSettings,
) -> ValuationOut:
    """Value the data asset by the cost, income or market approach (中评协〔2023〕17号),
    in Decimal arithmetic rounded half-up to 0.01 CNY once, at the end. The market approach
    takes the median of the comparables' adjusted prices with outliers excluded, kept ones
    from at least 3 distinct sellers and 3 distinct buyers (422 otherwise)."""
    a = await service.run_valuation(session, who, product_id, data, settings.large_trade_amount)
    _located(response, product_id, "valuations", a)
    return valuation_out(a)


async def _page(
    session: Session, who: Principal, product_id: UUID, kind: str, page: PageParams
) -> tuple[list[Assessment], str | None]:
    await service.readable(session, who, product_id)
    rows = await repository.list_page(session, product_id, kind, id_after(page), page.limit)
    return cut(rows, page.limit, lambda a: [str(a.id)])


Paging = Annotated[PageParams, Depends(page_params)]


def _add_reads(
    path: str,
    kind: str,
    out: type[BaseModel],
    to_out: Callable[[Assessment], BaseModel],
    plural: str,
    singular: str,
) -> None:
    """`GET …/{path}` (newest first) and `GET …/{path}/{assessment_id}` for one kind."""

    async def list_kind(
        product_id: UUID, session: PublicReadSession, who: CurrentPrincipal, page: Paging
    ) -> Page[Any]:
        items, next_cursor = await _page(session, who, product_id, kind, page)
        return Page[Any](items=[to_out(a) for a in items], next_cursor=next_cursor)

    async def get_kind(
        product_id: UUID, assessment_id: UUID, session: PublicReadSession, who: CurrentPrincipal
    ) -> Any:
        return to_out(await service.get(session, who, product_id, kind, assessment_id))

    router.add_api_route(
        f"/{path}",
        list_kind,
        methods=["GET"],
        response_model=Page[out],  # type: ignore[valid-type]
        responses=_READ_ERRORS,
        name=f"list_{plural.replace(' ', '_')}",
        description=f"The product's {plural}, newest first.",
    )
    router.add_api_route(
        f"/{path}/{{assessment_id}}",
        get_kind,
        methods=["GET"],
        response_model=out,
        responses=_READ_ERRORS,
        name=f"get_{singular.replace(' ', '_')}",
        description=f"One {singular}.",
    )


_add_reads(
    "quality-assessments",
    "quality",
    QualityAssessmentOut,
    quality_out,
    "quality assessments",
    "quality assessment",
)
_add_reads(
    "compliance-assessments",
    "compliance",
    ComplianceAssessmentOut,
    compliance_out,
    "compliance assessments",
    "compliance assessment",
)
_add_reads("valuations", "valuation", ValuationOut, valuation_out, "valuations", "valuation")

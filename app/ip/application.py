"""Applying for a registration and changing it (变更): what makes data registrable (not core
data, named sources with their proof, a live agreement, evidence), one live registration
per product."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import shanghai_today
from app.core.config import Settings
from app.core.db import new_id, utcnow
from app.core.errors import Conflict, ShushangError, ValidationFailed
from app.core.i18n import Text
from app.core.jsonable import jsonable
from app.core.principal import Principal
from app.ip import repository
from app.ip.models import IpRegistration
from app.ip.schemas import IpChange, IpRegistrationCreate
from app.ip.states import Action, IpStatus
from app.ip.steps import done, locked, record_step
from app.ip.validity import agreement_end
from app.products import service as products
from app.products.schemas import DataSource, SourceKind
from app.samples import repository as samples

# Sources whose lawfulness rests on a document: the application must name it.
_NEEDS_PROOF = {
    SourceKind.user_authorized: ("the consent records", "个人授权记录"),
    SourceKind.purchased: ("the purchase contract", "采购合同"),
    SourceKind.public_authorized: ("the authorisation", "授权文件"),
    SourceKind.partner_agreement: ("the agreement", "合作协议"),
}


CORE_UNREGISTRABLE = Text("core data (核心数据) cannot be registered", "核心数据不予登记")


class Unregistrable(ShushangError):
    status = 422
    slug = "not-registrable"
    title = Text("Not registrable", "不予登记")


def source_problems(sources: list[dict[str, Any]], today: date) -> list[tuple[str, Text]]:
    problems = []
    for n, source in enumerate(sources):
        kind = SourceKind(source["kind"])
        if kind in _NEEDS_PROOF and not source.get("reference"):
            en, zh = _NEEDS_PROOF[kind]
            problems.append(
                (
                    f"sources.{n}.reference",
                    Text(
                        f"a {kind.value} source needs {en} as proof", f"{kind.value} 来源须提供{zh}"
                    ),
                )
            )
        ends = source.get("agreement_ends_on")
        if kind is SourceKind.partner_agreement:
            if not ends:
                problems.append(
                    (
                        f"sources.{n}.agreement_ends_on",
                        Text("an agreement source needs its end date", "协议来源须提供协议到期日"),
                    )
                )
            elif date.fromisoformat(ends) < today:
                problems.append(
                    (
                        f"sources.{n}.agreement_ends_on",
                        Text(f"the agreement ended on {ends}", f"协议已于 {ends} 到期"),
                    )
                )
    return problems


def refuse(problems: list[tuple[str, Text]]) -> Unregistrable:
    return Unregistrable(
        Text(
            "Not registrable: " + "; ".join(t.en for _, t in problems) + ".",
            "不予登记:" + ";".join(t.zh for _, t in problems) + "。",
        ),
        reasons=[code for code, _ in problems],
    )


def stored_sources(sources: list[DataSource]) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json") for s in sources]


async def create(
    session: AsyncSession, who: Principal, data: IpRegistrationCreate
) -> IpRegistration:
    product = await products.get_for_change(session, who, data.product_id)
    today = shanghai_today()
    sources = (
        stored_sources(data.sources) if data.sources is not None else list(product.data_sources)
    )
    problems: list[tuple[str, Text]] = []
    if product.classification == "core":
        problems.append(("classification", CORE_UNREGISTRABLE))
    if not sources:
        problems.append(("sources", Text("the data's sources must be named", "须说明数据来源")))
    problems += source_problems(sources, today)
    digest = data.evidence_digest
    if digest is None:
        sample = await samples.latest(session, product.id)
        if sample is None:
            problems.append(
                (
                    "evidence_digest",
                    Text(
                        "give evidence_digest, or upload a sample to default to its SHA-256",
                        "请提供 evidence_digest,或先上传样本以其 SHA-256 为准",
                    ),
                )
            )
        else:
            digest = sample.sha256
    if problems:
        raise refuse(problems)
    if await repository.open_ownership_objections(session, product.id):
        raise Conflict(
            Text(
                "The product's ownership is disputed by an open objection.",
                "该产品存在尚未处理的权属异议。",
            )
        )
    live = await repository.live_for_product(session, product.id)
    if live is not None:
        raise Conflict(
            Text(
                f"The product already has a registration that is {live.status}.",
                f"该产品已有状态为 {live.status} 的登记。",
            ),
            registration_id=str(live.id),
        )
    assert digest is not None
    now = utcnow()
    registration = IpRegistration(
        id=new_id(),
        product_id=product.id,
        applicant_merchant_id=product.merchant_id,
        holder_merchant_id=product.merchant_id,
        data_name=data.data_name,
        domain=(data.domain.value if data.domain else (product.domains or ["public_services"])[0]),
        sources=sources,
        scale=data.scale,
        data_format=data.data_format,
        structure=data.structure,
        update_frequency=data.update_frequency,
        time_span_start=data.time_span_start or product.coverage_start,
        time_span_end=data.time_span_end or product.coverage_end,
        processing_rules=data.processing_rules,
        application_scenarios=list(data.application_scenarios),
        evidence_digest=digest,
        evidence_reference=data.evidence_reference,
        status=IpStatus.submitted.value,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, registration)
    await record_step(
        session, who, registration, Action.submit, None, {"evidence_digest": digest}, now=now
    )
    return registration


async def change(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    data: IpChange,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """变更: the fields sent change; the step keeps what they were and what they became."""
    registration, before, today = await locked(
        session, who, registration_id, Action.change, if_match, settings
    )
    sent = sorted(f for f in data.model_fields_set if getattr(data, f) is not None)
    if not sent:
        raise ValidationFailed.field(["body"], Text("changes nothing", "没有要变更的内容"))
    changes: dict[str, Any] = {}
    for field in sent:
        value = getattr(data, field)
        if field == "sources":
            value = stored_sources(value)
            problems = source_problems(value, today)
            if problems:
                raise refuse(problems)
        changes[field] = {
            "from": jsonable(getattr(registration, field)),
            "to": jsonable(value),
        }
        setattr(registration, field, value)
    if "sources" in changes:
        assert registration.valid_until is not None
        agreement = agreement_end(registration)
        if agreement is not None and agreement < registration.valid_until:
            registration.valid_until = agreement
            changes["valid_until"] = agreement.isoformat()
    now = utcnow()
    return await done(session, who, registration, Action.change, before, changes, now)

"""Data IP registration rules (DOMAIN.md, Data IP registration): applications, examination,
public notice counted in working days, objections, grant with a certificate number, and
what a holder does with a certificate afterwards. Every step is kept in `ip_step` and
appended to the registry log `IPR`, in the transaction that takes it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.models import Role
from app.auth.principal import Principal
from app.clock import shanghai_today
from app.config import Settings
from app.db import driver, new_id, utcnow
from app.errors import Conflict, Forbidden, NotFound, ShushangError, ValidationFailed
from app.events import service as events
from app.i18n import Text
from app.ip import effective, repository
from app.ip.entries import step_entry
from app.ip.models import (
    IpLicence,
    IpObjection,
    IpPledge,
    IpPledgeConsent,
    IpRegistration,
    IpStep,
)
from app.ip.repository import OpenPledges
from app.ip.schemas import (
    ConsentCreate,
    IpChange,
    IpRegistrationCreate,
    LicenceCreate,
    ObjectionCreate,
    PledgeCreate,
)
from app.ip.states import STEPS, Action, IpStatus, Party, PledgeStatus, allowed_from, who_may
from app.ledger import sequencer
from app.ledger.models import REGISTRY_LOG
from app.merchants import repository as merchants
from app.money import cents
from app.products import repository as product_rows
from app.products import service as products
from app.products.schemas import DataSource, SourceKind
from app.samples import repository as samples
from app.steps import YOU_MAY, check_step
from app.workdays import period_end

REGISTRATION = Text("IP registration", "数据知识产权登记")
CERTIFICATE = Text("certificate", "登记证书")
OBJECTION = Text("objection", "异议")
PLEDGE = Text("pledge", "质押")
CORE_DATA = "core_data"  # the suspension reason of a product reclassified core data
# The steps a pledge in force blocks unless the pledgee consented to that very step.
_NEED_CONSENT = (Action.transfer, Action.cancel, Action.license)

# Sources whose lawfulness rests on a document: the application must name it.
_NEEDS_PROOF = {
    SourceKind.user_authorized: ("the consent records", "个人授权记录"),
    SourceKind.purchased: ("the purchase contract", "采购合同"),
    SourceKind.public_authorized: ("the authorisation", "授权文件"),
    SourceKind.partner_agreement: ("the agreement", "合作协议"),
}


_CORE_UNREGISTRABLE = Text("core data (核心数据) cannot be registered", "核心数据不予登记")


class Unregistrable(ShushangError):
    status = 422
    slug = "not-registrable"
    title = Text("Not registrable", "不予登记")


def effective_status(registration: IpRegistration, today: date) -> IpStatus:
    """`registered` reads as `expired` from the day after `valid_until` (`app/ip/effective.py`)."""
    return effective.effective_status(registration.status, registration.valid_until, today)


def parties(
    who: Principal | None, registration: IpRegistration, pledges: OpenPledges
) -> frozenset[Party]:
    """What the caller is to this registration (`states.Party`); `pledges`: its pledges applied
    for or in force. Auditors, assessors and anonymous callers are no party."""
    if who is None:
        return frozenset()
    if who.is_operator:
        return frozenset({Party.operator})
    if who.role is not Role.merchant or who.merchant_id is None:
        return frozenset()
    mine = {
        Party.holder if who.merchant_id == registration.holder_merchant_id else Party.other_merchant
    }
    if any(_speaks_for_pledgee(who, p) for p in pledges.pledges):
        mine.add(Party.pledgee)
    return frozenset(mine)


def _speaks_for_pledgee(who: Principal, pledge: IpPledge) -> bool:
    """Who may confirm and release a pledge: the operator (the registry, having seen the
    contract or the release), or the key of the merchant the pledge names as pledgee."""
    return who.is_operator or (
        pledge.pledgee_merchant_id is not None and who.owns_merchant(pledge.pledgee_merchant_id)
    )


def renewal_opens_on(registration: IpRegistration, window_days: int) -> date:
    """The first day of the renewal window: `window_days` before `valid_until`."""
    assert registration.valid_until is not None
    return registration.valid_until - timedelta(days=window_days)


def _notice_over(registration: IpRegistration, now: datetime) -> bool:
    ends = registration.publicity_ends_at
    return ends is None or now >= ends


def _consented(pledges: OpenPledges, pledge: IpPledge, action: Action) -> bool:
    return any(c.pledge_id == pledge.id and c.step == action.value for c in pledges.consents)


def allowed_actions(
    registration: IpRegistration,
    who: Principal | None,
    pledges: OpenPledges,
    settings: Settings,
    now: datetime | None = None,
) -> list[str]:
    """What this caller may do with the registration now: what its state admits from the
    caller's parties (states.py), less what the service would refuse today by date or pledge
    (the notice, the renewal window, a pledge in force without the pledgee's consent to the
    step, no pledge of the caller to confirm or release)."""
    now = now or utcnow()
    today = shanghai_today(now)
    current = effective_status(registration, today)
    caller = parties(who, registration, pledges)
    in_force = [p for p in pledges.pledges if _pledge_in_force(p, today)]
    applied = [p for p in pledges.pledges if p.status == PledgeStatus.applied]
    gates = {
        Action.object: not _notice_over(registration, now),
        Action.grant: _notice_over(registration, now),
        Action.pledge: not any(_pledge_open(p, today) for p in pledges.pledges),
        Action.confirm: not in_force
        and who is not None
        and any(_confirmable(who, registration, p, today) for p in applied),
        Action.withdraw: bool(applied),
        Action.consent: bool(in_force),
        Action.release: who is not None and any(_speaks_for_pledgee(who, p) for p in in_force),
        **{a: all(_consented(pledges, p, a) for p in in_force) for a in _NEED_CONSENT},
    }
    if current is IpStatus.registered:
        gates[Action.renew] = today >= renewal_opens_on(
            registration, settings.ip_renewal_window_days
        ) and _renewed_until(registration, settings.ip_validity_years) > _valid(registration)
    return [a for a in allowed_from(current, caller) if gates.get(Action(a), True)]


def _source_problems(sources: list[dict[str, Any]], today: date) -> list[tuple[str, Text]]:
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


def _refuse(problems: list[tuple[str, Text]]) -> Unregistrable:
    return Unregistrable(
        Text(
            "Not registrable: " + "; ".join(t.en for _, t in problems) + ".",
            "不予登记:" + ";".join(t.zh for _, t in problems) + "。",
        ),
        reasons=[code for code, _ in problems],
    )


def _stored_sources(sources: list[DataSource]) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json") for s in sources]


async def create(
    session: AsyncSession, who: Principal, data: IpRegistrationCreate
) -> IpRegistration:
    product = await products.get_for_change(session, who, data.product_id)
    today = shanghai_today()
    sources = (
        _stored_sources(data.sources) if data.sources is not None else list(product.data_sources)
    )
    problems: list[tuple[str, Text]] = []
    if product.classification == "core":
        problems.append(("classification", _CORE_UNREGISTRABLE))
    if not sources:
        problems.append(("sources", Text("the data's sources must be named", "须说明数据来源")))
    problems += _source_problems(sources, today)
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
        raise _refuse(problems)
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
    await _step(
        session, who, registration, Action.submit, None, {"evidence_digest": digest}, now=now
    )
    return registration


async def get_visible(
    session: AsyncSession, who: Principal | None, registration_id: UUID
) -> IpRegistration:
    registration = await repository.get_visible(session, registration_id, who)
    if registration is None:
        raise NotFound.of(REGISTRATION, registration_id)
    return registration


async def _step(
    session: AsyncSession,
    who: Principal | None,
    registration: IpRegistration,
    action: Action,
    before: IpStatus | None,
    details: dict[str, Any],
    *,
    now: datetime,
) -> IpStep:
    """Keep the step and append it to the registry log, in this transaction."""
    step = IpStep(
        id=new_id(),
        registration_id=registration.id,
        action=action.value,
        from_status=before.value if before else None,
        to_status=registration.status,
        certificate_number=registration.certificate_number,
        holder_merchant_id=registration.holder_merchant_id,
        details=details,
        actor_key_id=who.key_id if who else None,
        actor_role=who.role.value if who else None,
        created_at=now,
    )
    step.leaf_index = await sequencer.append(
        await driver(session), REGISTRY_LOG, "ip_step", step.id, step_entry(step)
    )
    await repository.add(session, step)
    await _emit(session, registration, action, step)
    await audit.record(
        session,
        who,
        f"ip.{action.value}",
        "ip_registration",
        registration.id,
        {"from": step.from_status, "to": step.to_status, "leaf_index": step.leaf_index, **details},
    )
    return step


# The event of each step; some are news about the certificate too.
_EVENTS = {
    Action.submit: "submitted", Action.examine: "accepted", Action.reject: "rejected",
    Action.object: "objected", Action.uphold: "objection_upheld",
    Action.dismiss: "objection_dismissed", Action.grant: "granted", Action.renew: "renewed",
    Action.change: "changed", Action.transfer: "transferred", Action.license: "licensed",
    Action.pledge: "pledge_applied", Action.confirm: "pledged",
    Action.withdraw: "pledge_withdrawn", Action.consent: "pledge_consented",
    Action.release: "released", Action.cancel: "cancelled", Action.revoke: "revoked",
    Action.expire: "expired", Action.suspend: "suspended", Action.reinstate: "reinstated",
}  # fmt: skip
_CERTIFICATE_EVENTS = {
    Action.grant,
    Action.renew,
    Action.transfer,
    Action.revoke,
    Action.cancel,
    Action.expire,
    Action.suspend,
    Action.reinstate,
}


async def _emit(
    session: AsyncSession, registration: IpRegistration, action: Action, step: IpStep
) -> None:
    """For the holder, the applicant, and whoever the step concerns (a former holder)."""
    concerned: list[UUID | None] = [
        registration.holder_merchant_id,
        registration.applicant_merchant_id,
    ]
    if "from_holder" in step.details:
        concerned.append(UUID(step.details["from_holder"]))
    data = {
        "registration_id": str(registration.id),
        "product_id": str(registration.product_id),
        "status": registration.status,
        "certificate_number": registration.certificate_number,
        "step_id": str(step.id),
        "leaf_index": step.leaf_index,
    }
    name = _EVENTS[action]
    await events.emit(
        session, f"ip_registration.{name}", "ip_registration", registration.id, concerned, data
    )
    if action in _CERTIFICATE_EVENTS:
        await events.emit(
            session, f"certificate.{name}", "certificate", registration.certificate_number,
            concerned, data,
        )  # fmt: skip


async def _locked(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    action: Action,
    if_match: str | None,
    settings: Settings,
) -> tuple[IpRegistration, IpStatus, date]:
    """The registration, locked, once the caller may take `action` in its current state:
    404 when the caller does not see it, 403 when it is no party that may take the action,
    412 on a stale If-Match, 409 when its state does not admit the action."""
    registration = await repository.get_visible(session, registration_id, who, for_update=True)
    if registration is None:
        raise NotFound.of(REGISTRATION, registration_id)
    pledges = (await repository.open_pledges(session, [registration.id]))[registration.id]
    step = STEPS[action]
    en, zh = who_may(action)
    now = utcnow()
    today = shanghai_today(now)
    current = effective_status(registration, today)
    check_step(
        may=bool(parties(who, registration, pledges) & step.by),
        refused=Text(
            f"Only {en} may {action.value} a registration.", f"仅{zh}可执行 {action.value}。"
        ),
        if_match=if_match,
        version=registration.version,
        current=current,
        leaves=step.leaves,
        action=action.value,
        thing=Text("registration", "登记"),
        allowed=lambda: allowed_actions(registration, who, pledges, settings, now),
        you_may=YOU_MAY,
        note=(
            f" (it expired after {registration.valid_until})"
            if current is IpStatus.expired and registration.status != current.value
            else ""
        ),
    )
    return registration, current, today


async def _done(
    session: AsyncSession,
    who: Principal | None,
    registration: IpRegistration,
    action: Action,
    before: IpStatus,
    details: dict[str, Any],
    now: datetime,
    to: IpStatus | None = None,
) -> IpRegistration:
    """Move the registration to `to` (or leave its status), then keep and log the step."""
    if to is not None:
        registration.status = to.value
    registration.updated_at = now
    await session.flush()
    await _step(session, who, registration, action, before, details, now=now)
    return registration


async def examine_accept(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """Formal review passed: public notice of `ip_notice_working_days` working days."""
    registration, before, _ = await _locked(
        session, who, registration_id, Action.examine, if_match, settings
    )
    now = utcnow()
    registration.publicity_starts_at = now
    registration.publicity_ends_at = period_end(now, settings.ip_notice_working_days)
    details = {
        "notice_working_days": settings.ip_notice_working_days,
        "publicity_ends_at": registration.publicity_ends_at.isoformat(),
    }
    return await _done(
        session, who, registration, Action.examine, before, details, now, IpStatus.publicizing
    )


async def reject(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    reason: str,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """Refuse a registration under review or under objection (its open objections close)."""
    registration, before, _ = await _locked(
        session, who, registration_id, Action.reject, if_match, settings
    )
    now = utcnow()
    await _close_open_objections(session, registration, now)
    registration.decision_reason = reason
    return await _done(
        session,
        who,
        registration,
        Action.reject,
        before,
        {"reason": reason},
        now,
        IpStatus.rejected,
    )


async def _close_open_objections(
    session: AsyncSession, registration: IpRegistration, now: datetime, but: UUID | None = None
) -> None:
    for objection in await repository.objections(session, registration.id):
        if objection.status == "open" and objection.id != but:
            objection.status = "closed"
            objection.decided_at = now
    await session.flush()


async def object_to(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    data: ObjectionCreate,
    settings: Settings,
    *,
    if_match: str | None = None,
) -> tuple[IpRegistration, IpObjection]:
    """An objection during public notice: a merchant other than the holder, or an operator
    (states.OBJECTORS); never the holder, an auditor or an assessor (403)."""
    registration, before, _ = await _locked(
        session, who, registration_id, Action.object, if_match, settings
    )
    now = utcnow()
    ends = registration.publicity_ends_at
    if ends is not None and now >= ends:
        raise Conflict(
            Text(
                f"The public notice ended at {ends.isoformat()}.",
                f"公示期已于 {ends.isoformat()} 结束。",
            ),
            publicity_ends_at=ends.isoformat(),
        )
    for earlier in await repository.objections(session, registration.id):
        if _same_objector(earlier, who):
            # One objection per objector: a chain of them would keep the registration
            # `objected` past its notice; a dismissed objector has had its say.
            raise Conflict(
                Text(
                    f"You objected to this registration already (it is {earlier.status}): "
                    "one objection per objector.",
                    f"您已对该登记提出过异议(状态 {earlier.status}):每一异议人只能提出一次。",
                ),
                objection_id=str(earlier.id),
                objection_status=earlier.status,
            )
    objection = IpObjection(
        id=new_id(),
        registration_id=registration.id,
        kind=data.kind.value,
        grounds=data.grounds,
        objector_key_id=who.key_id,
        objector_merchant_id=who.merchant_id,
        status="open",
        created_at=now,
    )
    await repository.add(session, objection)
    details = {"objection_id": str(objection.id), "kind": objection.kind}
    await _done(session, who, registration, Action.object, before, details, now, IpStatus.objected)
    return registration, objection


def _same_objector(objection: IpObjection, who: Principal) -> bool:
    """A merchant objects as its merchant (whichever of its keys), an operator as its key."""
    if who.merchant_id is not None:
        return objection.objector_merchant_id == who.merchant_id
    return objection.objector_merchant_id is None and objection.objector_key_id == who.key_id


async def decide_objection(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    objection_id: UUID,
    uphold: bool,
    reason: str | None,
    settings: Settings,
    *,
    if_match: str | None = None,
) -> IpRegistration:
    """Uphold (the registration is rejected) or dismiss an open objection; with the last
    one dismissed the public notice goes on to its end."""
    action = Action.uphold if uphold else Action.dismiss
    registration, before, _ = await _locked(
        session, who, registration_id, action, if_match, settings
    )
    objections = await repository.objections(session, registration.id)
    objection = next((o for o in objections if o.id == objection_id), None)
    if objection is None:
        raise NotFound.of(OBJECTION, objection_id)
    if objection.status != "open":
        raise Conflict(
            Text(
                f"The objection is already {objection.status}.",
                f"该异议已处理:{objection.status}。",
            ),
            current_status=objection.status,
        )
    now = utcnow()
    objection.status = "upheld" if uphold else "dismissed"
    objection.decision_reason = reason
    objection.decided_at = now
    if uphold:
        await _close_open_objections(session, registration, now, but=objection.id)
        registration.decision_reason = reason
        to: IpStatus | None = IpStatus.rejected
    else:
        still_open = any(o.status == "open" for o in objections)
        to = None if still_open else IpStatus.publicizing
    details = {"objection_id": str(objection.id), "reason": reason}
    return await _done(session, who, registration, action, before, details, now, to)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _agreement_end(registration: IpRegistration) -> date | None:
    ends = [
        date.fromisoformat(s["agreement_ends_on"])
        for s in registration.sources
        if s.get("agreement_ends_on")
    ]
    return min(ends) if ends else None


def _valid_until(registration: IpRegistration, first_day: date, years: int) -> date:
    """`years` from `first_day` (the day before the anniversary), or the end of a source
    agreement if sooner."""
    until = _add_years(first_day, years) - timedelta(days=1)
    agreement = _agreement_end(registration)
    return min(until, agreement) if agreement else until


async def grant(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """Register and issue the certificate, once the notice has ended without objection."""
    registration, before, today = await _locked(
        session, who, registration_id, Action.grant, if_match, settings
    )
    now = utcnow()
    ends = registration.publicity_ends_at
    if ends is not None and now < ends:
        raise Conflict(
            Text(
                f"The public notice runs until {ends.isoformat()}; grant after it ends.",
                f"公示期至 {ends.isoformat()} 结束,届时方可登记。",
            ),
            publicity_ends_at=ends.isoformat(),
        )
    problems = _source_problems(registration.sources, today)
    product = await product_rows.get(session, registration.product_id)
    if product is not None and product.classification == "core":
        # Reclassified while under examination: core data is never registered.
        problems.append(("classification", _CORE_UNREGISTRABLE))
    if problems:
        raise _refuse(problems)
    serial = await repository.next_serial(session)
    registration.certificate_number = (
        f"{today.year:04d}{today.month:02d}{settings.ip_authority_code}{serial:07d}"
    )
    registration.granted_on = today
    registration.valid_until = _valid_until(registration, today, settings.ip_validity_years)
    details = {
        "certificate_number": registration.certificate_number,
        "granted_on": today.isoformat(),
        "valid_until": registration.valid_until.isoformat(),
    }
    return await _done(
        session, who, registration, Action.grant, before, details, now, IpStatus.registered
    )


def _valid(registration: IpRegistration) -> date:
    assert registration.valid_until is not None  # every registered certificate has one
    return registration.valid_until


def _renewed_until(registration: IpRegistration, years: int) -> date:
    """The current validity end plus `years`, or a source agreement's end if sooner."""
    until = _add_years(_valid(registration), years)
    agreement = _agreement_end(registration)
    return min(until, agreement) if agreement else until


async def renew(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """Another `ip_validity_years` on top of `valid_until`, only within the renewal window
    (`ip_renewal_window_days` before it). The renewal moves `valid_until`, and with it the
    window past today: once per window, never a chain of renewals into the far future."""
    registration, before, today = await _locked(
        session, who, registration_id, Action.renew, if_match, settings
    )
    old = _valid(registration)
    opens = renewal_opens_on(registration, settings.ip_renewal_window_days)
    if today < opens:
        raise Conflict(
            Text(
                f"Renewal opens on {opens}, {settings.ip_renewal_window_days} days before the "
                f"certificate's validity ends on {old}.",
                f"续展期自 {opens} 起(有效期届满日 {old} 前 "
                f"{settings.ip_renewal_window_days} 日)。",
            ),
            renewal_opens_on=opens.isoformat(),
            valid_until=old.isoformat(),
        )
    new = _renewed_until(registration, settings.ip_validity_years)
    if new <= old:
        raise Conflict(
            Text(
                f"A source agreement ends on {_agreement_end(registration)}: change the "
                "sources to the renewed agreement first.",
                f"来源协议于 {_agreement_end(registration)} 到期:请先变更为续签后的协议。",
            )
        )
    registration.valid_until = new
    now = utcnow()
    details = {"valid_until_before": old.isoformat(), "valid_until": new.isoformat()}
    return await _done(session, who, registration, Action.renew, before, details, now)


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


async def change(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    data: IpChange,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """变更: the fields sent change; the step keeps what they were and what they became."""
    registration, before, today = await _locked(
        session, who, registration_id, Action.change, if_match, settings
    )
    sent = sorted(f for f in data.model_fields_set if getattr(data, f) is not None)
    if not sent:
        raise ValidationFailed.field(["body"], Text("changes nothing", "没有要变更的内容"))
    changes: dict[str, Any] = {}
    for field in sent:
        value = getattr(data, field)
        if field == "sources":
            value = _stored_sources(value)
            problems = _source_problems(value, today)
            if problems:
                raise _refuse(problems)
        changes[field] = {
            "from": _jsonable(getattr(registration, field)),
            "to": _jsonable(value),
        }
        setattr(registration, field, value)
    if "sources" in changes:
        assert registration.valid_until is not None
        agreement = _agreement_end(registration)
        if agreement is not None and agreement < registration.valid_until:
            registration.valid_until = agreement
            changes["valid_until"] = agreement.isoformat()
    now = utcnow()
    return await _done(session, who, registration, Action.change, before, changes, now)


def _in_force(start: date, end: date, today: date) -> bool:
    return start <= today <= end


def _pledge_in_force(pledge: IpPledge, today: date) -> bool:
    """Confirmed, not released, its term not over. Only such a pledge restricts."""
    return pledge.status == PledgeStatus.in_force and pledge.ends_on >= today


def _pledge_open(pledge: IpPledge, today: date) -> bool:
    """Applied for or in force, its term not over: no other pledge may be applied for."""
    return pledge.status in (PledgeStatus.applied, PledgeStatus.in_force) and (
        pledge.ends_on >= today
    )


def _confirmable(
    who: Principal, registration: IpRegistration, pledge: IpPledge, today: date
) -> bool:
    return (
        pledge.status == PledgeStatus.applied
        and _speaks_for_pledgee(who, pledge)
        and pledge.pledgor_merchant_id == registration.holder_merchant_id
        and pledge.ends_on >= today
    )


async def _consents_while_pledged(
    session: AsyncSession, registration: IpRegistration, today: date, action: Action, now: datetime
) -> dict[str, Any]:
    """While a pledge is in force, `action` (transfer, cancel, licence) needs the pledgee's
    consent to that very step, recorded by the operator (民法典 第四百四十四条): 409 without
    one. The consents it uses are spent (one consent, one step); what the step's details say
    of them."""
    found = (await repository.open_pledges(session, [registration.id]))[registration.id]
    used: list[IpPledgeConsent] = []
    for pledge in found.pledges:
        if not _pledge_in_force(pledge, today):
            continue
        consent = next(
            (c for c in found.consents if c.pledge_id == pledge.id and c.step == action.value),
            None,
        )
        if consent is None:
            raise Conflict(
                Text(
                    f"The IP is pledged to {pledge.pledgee_name} until {pledge.ends_on}: "
                    f"to {action.value} it, the operator must first record the pledgee's "
                    "consent to that step, or the pledge be released.",
                    f"该数据知识产权已质押给 {pledge.pledgee_name},至 {pledge.ends_on}:"
                    f"须由运营方登记质权人对 {action.value} 的同意,或先解除质押。",
                ),
                pledge_id=str(pledge.id),
            )
        used.append(consent)
    for consent in used:
        consent.used_at = now
    return {"consent_ids": [str(c.id) for c in used]} if used else {}


async def _refuse_open_pledge(
    session: AsyncSession, registration: IpRegistration, today: date
) -> None:
    """One pledge at a time: 409 while another is applied for or in force."""
    found = (await repository.open_pledges(session, [registration.id]))[registration.id]
    for pledge in found.pledges:
        if _pledge_open(pledge, today):
            raise Conflict(
                Text(
                    f"A pledge to {pledge.pledgee_name} is {pledge.status} until "
                    f"{pledge.ends_on}: one pledge at a time (withdraw or release it first).",
                    f"已有质押给 {pledge.pledgee_name} 的质押({pledge.status},至 "
                    f"{pledge.ends_on}):同一时间只能有一项质押。",
                ),
                pledge_id=str(pledge.id),
                pledge_status=pledge.status,
            )


async def transfer(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    to_merchant_id: UUID,
    reason: str | None,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """转移 to another merchant; while a pledge is in force only with the pledgee's consent
    to this transfer, recorded by the operator. Pledges the old holder applied for and
    nobody confirmed are withdrawn with the transfer."""
    registration, before, today = await _locked(
        session, who, registration_id, Action.transfer, if_match, settings
    )
    if to_merchant_id == registration.holder_merchant_id:
        raise ValidationFailed.field(
            ["body", "to_merchant_id"], Text("is already the holder", "已是权利人")
        )
    if not await merchants.is_registered(session, to_merchant_id):
        raise ValidationFailed.field(
            ["body", "to_merchant_id"], Text("names no merchant", "数商不存在")
        )
    now = utcnow()
    consents = await _consents_while_pledged(session, registration, today, Action.transfer, now)
    # The old holder's applications lapse with its title: the new holder applies itself.
    lapsed = [
        p
        for p in (await repository.open_pledges(session, [registration.id]))[
            registration.id
        ].pledges
        if p.status == PledgeStatus.applied
    ]
    for applied in lapsed:
        applied.status = PledgeStatus.withdrawn.value
        applied.withdrawn_at = now
    old_holder = registration.holder_merchant_id
    registration.holder_merchant_id = to_merchant_id
    details = {
        "from_holder": str(old_holder),
        "to_holder": str(to_merchant_id),
        "reason": reason,
        **consents,
        **({"withdrawn_pledge_ids": [str(p.id) for p in lapsed]} if lapsed else {}),
    }
    return await _done(session, who, registration, Action.transfer, before, details, now)


def _within_validity(registration: IpRegistration, starts_on: date, ends_on: date) -> None:
    assert registration.granted_on is not None and registration.valid_until is not None
    if starts_on < registration.granted_on or ends_on > registration.valid_until:
        raise ValidationFailed.field(
            ["body", "ends_on"],
            Text(
                f"the term must lie within the certificate's validity, "
                f"{registration.granted_on} to {registration.valid_until}",
                f"期限须在证书有效期 {registration.granted_on} 至 {registration.valid_until} 之内",
            ),
        )


async def license(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    data: LicenceCreate,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """许可: an exclusive licence admits no other licence whose term overlaps it; while a
    pledge is in force, only with the pledgee's consent to this licence."""
    registration, before, today = await _locked(
        session, who, registration_id, Action.license, if_match, settings
    )
    _within_validity(registration, data.starts_on, data.ends_on)
    name = data.licensee_name
    if data.licensee_merchant_id is not None:
        licensee = await merchants.get(session, data.licensee_merchant_id)
        if licensee is None:
            raise ValidationFailed.field(
                ["body", "licensee_merchant_id"], Text("names no merchant", "数商不存在")
            )
        name = name or licensee.name
    if not name:
        raise ValidationFailed.field(
            ["body", "licensee_name"],
            Text("is required without licensee_merchant_id", "未提供被许可数商时必填"),
        )
    for other in await repository.licences(session, registration.id):
        overlaps = other.starts_on <= data.ends_on and data.starts_on <= other.ends_on
        if overlaps and (data.exclusive or other.exclusive):
            raise Conflict(
                Text(
                    f"An {'exclusive ' if other.exclusive else ''}licence to {other.licensee_name} "
                    f"runs {other.starts_on} to {other.ends_on}: an exclusive licence admits "
                    "no overlapping one.",
                    f"已有许可({other.licensee_name},{other.starts_on} 至 {other.ends_on})"
                    "与之重叠:独占许可不得与其他许可期限重叠。",
                ),
                licence_id=str(other.id),
            )
    now = utcnow()
    consents = await _consents_while_pledged(session, registration, today, Action.license, now)
    licence = IpLicence(
        id=new_id(),
        registration_id=registration.id,
        licensee_merchant_id=data.licensee_merchant_id,
        licensee_name=name,
        scope=data.scope,
        exclusive=data.exclusive,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        created_at=now,
    )
    await repository.add(session, licence)
    details = {
        "licence_id": str(licence.id),
        "licensee_name": name,
        "licensee_merchant_id": str(data.licensee_merchant_id)
        if data.licensee_merchant_id
        else None,
        "scope": data.scope,
        "exclusive": data.exclusive,
        "starts_on": data.starts_on.isoformat(),
        "ends_on": data.ends_on.isoformat(),
        **consents,
    }
    return await _done(session, who, registration, Action.license, before, details, now)


async def _pledgee_name(
    session: AsyncSession, registration: IpRegistration, data: PledgeCreate
) -> tuple[str, str | None]:
    """The pledgee's name and USCC. A pledgee that is a merchant of the exchange is named as
    registered: another `pledgee_name` beside its id is 422 (a bank's name on an
    accomplice's key), an omitted one is filled in. Without an id the name is required."""
    if data.pledgee_merchant_id is None:
        if not data.pledgee_name:
            raise ValidationFailed.field(
                ["body", "pledgee_name"],
                Text("is required without pledgee_merchant_id", "未提供质权人数商时必填"),
            )
        return data.pledgee_name, data.pledgee_uscc
    pledgee = await merchants.get(session, data.pledgee_merchant_id)
    if pledgee is None:
        raise ValidationFailed.field(
            ["body", "pledgee_merchant_id"], Text("names no merchant", "数商不存在")
        )
    if pledgee.id == registration.holder_merchant_id:
        raise ValidationFailed.field(
            ["body", "pledgee_merchant_id"],
            Text(
                "is the holder: a holder cannot be its own pledgee", "是权利人本身:不能向自己质押"
            ),
        )
    if data.pledgee_uscc is not None and data.pledgee_uscc != pledgee.uscc:
        # One pledgee: a USCC of another entity would leave it unclear who confirms.
        raise ValidationFailed.field(
            ["body", "pledgee_uscc"],
            Text(
                "is not the USCC of pledgee_merchant_id",
                "与 pledgee_merchant_id 的统一社会信用代码不符",
            ),
        )
    if data.pledgee_name is not None and data.pledgee_name != pledgee.name:
        raise ValidationFailed.field(
            ["body", "pledgee_name"],
            Text(
                f"is not the registered name of pledgee_merchant_id ({pledgee.name})",
                f"与 pledgee_merchant_id 的登记名称({pledgee.name})不符",
            ),
        )
    return pledgee.name, pledgee.uscc


def _pledge_details(entry: IpPledge) -> dict[str, Any]:
    return {
        "pledge_id": str(entry.id),
        "pledge_status": entry.status,
        "pledgee_name": entry.pledgee_name,
        "pledgee_uscc": entry.pledgee_uscc,
        "pledgee_merchant_id": str(entry.pledgee_merchant_id)
        if entry.pledgee_merchant_id
        else None,
        "secured_amount": cents(entry.secured_amount),
        "starts_on": entry.starts_on.isoformat(),
        "ends_on": entry.ends_on.isoformat(),
    }


async def pledge(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    data: PledgeCreate,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """质押登记, the holder's side: the pledge is `applied` and restricts nothing until the
    pledgee's key (`pledgee_merchant_id`) or the operator confirms it. One pledge at a time."""
    registration, before, today = await _locked(
        session, who, registration_id, Action.pledge, if_match, settings
    )
    _within_validity(registration, data.starts_on, data.ends_on)
    name, pledgee_uscc = await _pledgee_name(session, registration, data)
    await _refuse_open_pledge(session, registration, today)
    now = utcnow()
    entry = IpPledge(
        id=new_id(),
        registration_id=registration.id,
        pledgee_name=name,
        pledgee_uscc=pledgee_uscc,
        pledgee_merchant_id=data.pledgee_merchant_id,
        pledgor_merchant_id=registration.holder_merchant_id,
        secured_amount=Decimal(data.secured_amount),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        status=PledgeStatus.applied.value,
        created_at=now,
    )
    await repository.add(session, entry)
    details = _pledge_details(entry)
    return await _done(session, who, registration, Action.pledge, before, details, now)


async def _pledge_of(
    session: AsyncSession, registration: IpRegistration, pledge_id: UUID
) -> IpPledge:
    found = next(
        (p for p in await repository.pledges(session, registration.id) if p.id == pledge_id), None
    )
    if found is None:
        raise NotFound.of(PLEDGE, pledge_id)
    return found


def _not_the_pledgee(action: Action) -> Forbidden:
    en, zh = who_may(action)
    return Forbidden(
        Text(
            f"Only {en} may {action.value} this pledge; it names another pledgee.",
            f"仅{zh}可对该质押执行 {action.value};该质押的质权人不是您。",
        )
    )


def _pledge_is(found: IpPledge, action: Action) -> Conflict:
    return Conflict(
        Text(
            f"The pledge is {found.status}: it cannot {action.value}.",
            f"该质押状态为 {found.status},不能执行 {action.value}。",
        ),
        pledge_status=found.status,
    )


async def confirm(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    pledge_id: UUID,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """The pledgee's side of 质押登记: the key of the merchant the pledge names as pledgee,
    or the operator (the registry, having seen the contract; the only one for a pledgee
    that is no merchant) puts an applied pledge `in_force`. 409 once the certificate has
    changed holder since the application, after the pledge's term, or while another pledge
    is in force."""
    registration, before, today = await _locked(
        session, who, registration_id, Action.confirm, if_match, settings
    )
    found = await _pledge_of(session, registration, pledge_id)
    if not _speaks_for_pledgee(who, found):
        raise _not_the_pledgee(Action.confirm)
    if found.status != PledgeStatus.applied:
        raise _pledge_is(found, Action.confirm)
    if found.pledgor_merchant_id != registration.holder_merchant_id:
        raise Conflict(
            Text(
                "The certificate changed holder after this pledge was applied for: the new "
                "holder must apply itself.",
                "该质押申请后证书已转移:须由新的权利人重新申请。",
            ),
            pledge_id=str(found.id),
        )
    if found.ends_on < today:
        raise Conflict(
            Text(
                f"The pledge's term ended on {found.ends_on}.",
                f"该质押期限已于 {found.ends_on} 届满。",
            ),
            pledge_id=str(found.id),
        )
    await _refuse_another_in_force(session, registration, today)
    now = utcnow()
    found.status = PledgeStatus.in_force.value
    found.confirmed_at = now
    details = _pledge_details(found)
    return await _done(session, who, registration, Action.confirm, before, details, now)


async def _refuse_another_in_force(
    session: AsyncSession, registration: IpRegistration, today: date
) -> None:
    found = (await repository.open_pledges(session, [registration.id]))[registration.id]
    for other in found.pledges:
        if _pledge_in_force(other, today):
            raise Conflict(
                Text(
                    f"A pledge to {other.pledgee_name} is in force until {other.ends_on}.",
                    f"已有质押给 {other.pledgee_name} 的质押生效中,至 {other.ends_on}。",
                ),
                pledge_id=str(other.id),
            )


async def withdraw(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    pledge_id: UUID,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """The holder (or an operator) withdraws a pledge still `applied`; one in force is
    released by the pledgee's side only (409)."""
    registration, before, _ = await _locked(
        session, who, registration_id, Action.withdraw, if_match, settings
    )
    found = await _pledge_of(session, registration, pledge_id)
    if found.status != PledgeStatus.applied:
        raise _pledge_is(found, Action.withdraw)
    now = utcnow()
    found.status = PledgeStatus.withdrawn.value
    found.withdrawn_at = now
    details = {"pledge_id": str(found.id), "pledge_status": found.status}
    return await _done(session, who, registration, Action.withdraw, before, details, now)


async def consent(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    pledge_id: UUID,
    data: ConsentCreate,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """The operator records the pledgee's consent to one step (`transfer`, `cancel` or
    `license`) on a pledge in force (民法典 第四百四十四条). It admits that step once: the
    step spends it. 409 on a pledge not in force, or while a consent to the same step is
    still unspent."""
    registration, before, today = await _locked(
        session, who, registration_id, Action.consent, if_match, settings
    )
    found = await _pledge_of(session, registration, pledge_id)
    if not _pledge_in_force(found, today):
        raise _pledge_is(found, Action.consent)
    found_open = (await repository.open_pledges(session, [registration.id]))[registration.id]
    if _consented(found_open, found, Action(data.step.value)):
        raise Conflict(
            Text(
                f"The pledgee's consent to {data.step.value} is recorded and not yet used.",
                f"质权人对 {data.step.value} 的同意已登记且尚未使用。",
            ),
            pledge_id=str(found.id),
        )
    now = utcnow()
    entry = IpPledgeConsent(
        id=new_id(),
        pledge_id=found.id,
        step=data.step.value,
        reference=data.reference,
        recorded_by_key_id=who.key_id,
        created_at=now,
    )
    await repository.add(session, entry)
    details = {
        "pledge_id": str(found.id),
        "consent_id": str(entry.id),
        "step": entry.step,
        "reference": entry.reference,
    }
    return await _done(session, who, registration, Action.consent, before, details, now)


async def release(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    pledge_id: UUID,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """解除质押 of a pledge in force, as the registry records the pledgee's release: the
    operator, or the key of the merchant the pledge names as pledgee. Never the holder alone
    (403): it could free the certificate for a transfer behind the pledgee's back."""
    registration, before, _ = await _locked(
        session, who, registration_id, Action.release, if_match, settings
    )
    found = await _pledge_of(session, registration, pledge_id)
    if not _speaks_for_pledgee(who, found):
        raise _not_the_pledgee(Action.release)
    if found.released_at is not None:
        raise Conflict(
            Text(
                f"The pledge was released at {found.released_at.isoformat()}.",
                f"该质押已于 {found.released_at.isoformat()} 解除。",
            ),
            pledge_status=found.status,
        )
    if found.status != PledgeStatus.in_force:
        raise _pledge_is(found, Action.release)
    now = utcnow()
    found.released_at = now
    found.status = PledgeStatus.released.value
    return await _done(
        session, who, registration, Action.release, before, {"pledge_id": str(found.id)}, now
    )


async def end(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    action: Action,
    reason: str | None,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """注销 by the holder (while a pledge is in force, only with the pledgee's consent) or
    撤销 by the operator (with a reason)."""
    registration, before, today = await _locked(
        session, who, registration_id, action, if_match, settings
    )
    now = utcnow()
    details: dict[str, Any] = {"reason": reason}
    if action is Action.cancel:
        details |= await _consents_while_pledged(session, registration, today, action, now)
    target = STEPS[action].reaches
    assert target is not None
    registration.decision_reason = reason
    registration.suspension_reason = None
    return await _done(session, who, registration, action, before, details, now, target)


async def suspend_core_data(session: AsyncSession, cause: Principal, product_id: UUID) -> int:
    """The product became core data (核心数据): its certificates in force are `suspended`
    (reason `core_data`) until the operator reinstates them after review; how many. The
    system takes the step (no key on the leaf); the audit names the caller who set it off."""
    held = await repository.held_for_product(session, product_id)
    now = utcnow()
    for registration in held:
        registration.suspension_reason = CORE_DATA
        details = {"reason": CORE_DATA, "cause_key_id": str(cause.key_id)}
        await _done(
            session, None, registration, Action.suspend, IpStatus.registered, details, now,
            IpStatus.suspended,
        )  # fmt: skip
    return len(held)


async def reinstate(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    reason: str | None,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """The operator, after review, lifts a suspension: 409 while the product is still core
    data (reclassify it first). Reclassifying alone never reinstates."""
    registration, before, _ = await _locked(
        session, who, registration_id, Action.reinstate, if_match, settings
    )
    product = await product_rows.get(session, registration.product_id)
    if product is not None and product.classification == "core":
        raise Conflict(
            Text(
                "The product is still classified core data: reclassify it before reinstating.",
                "该产品仍为核心数据:须先变更分级再恢复登记。",
            ),
            product_id=str(product.id),
        )
    now = utcnow()
    details = {"reason": reason, "suspension_reason": registration.suspension_reason}
    registration.suspension_reason = None
    return await _done(
        session, who, registration, Action.reinstate, before, details, now, IpStatus.registered
    )


async def expire_due(session: AsyncSession) -> int:
    """Record the `expire` step of every certificate whose validity has passed (the sweep
    runs hourly in `serve`, and from `shushang ip expire`): how many expired."""
    now = utcnow()
    due = await repository.due_to_expire(session, shanghai_today(now))
    for registration in due:
        assert registration.valid_until is not None
        details = {"valid_until": registration.valid_until.isoformat()}
        before = IpStatus.registered
        await _done(
            session, None, registration, Action.expire, before, details, now, IpStatus.expired
        )
    return len(due)


def licences_in_force(licences: list[IpLicence], today: date) -> list[IpLicence]:
    return [lic for lic in licences if _in_force(lic.starts_on, lic.ends_on, today)]


def pledges_in_force(pledges: list[IpPledge], today: date) -> list[IpPledge]:
    """Confirmed pledges whose term runs today: what a certificate shows (an applied one
    is no pledge yet)."""
    return [p for p in pledges if _pledge_in_force(p, today) and p.starts_on <= today]


async def certificate(session: AsyncSession, number: str) -> IpRegistration:
    registration = await repository.by_certificate(session, number)
    if registration is None:
        raise NotFound.of(CERTIFICATE, number)
    return registration

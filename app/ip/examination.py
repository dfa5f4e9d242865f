"""Examination of an application: formal review, public notice counted in working days,
objections and their decision, rejection, and the grant with its certificate number."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import new_id, utcnow
from app.core.errors import Conflict, NotFound
from app.core.i18n import Text
from app.core.principal import Principal
from app.core.workdays import period_end
from app.ip import repository
from app.ip.application import CORE_UNREGISTRABLE, refuse, source_problems
from app.ip.models import IpObjection, IpRegistration
from app.ip.schemas import ObjectionCreate
from app.ip.states import Action, IpStatus
from app.ip.steps import done, locked
from app.ip.validity import granted_until
from app.products import repository as product_rows

OBJECTION = Text("objection", "异议")


async def examine_accept(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """Formal review passed: public notice of `ip_notice_working_days` working days."""
    registration, before, _ = await locked(
        session, who, registration_id, Action.examine, if_match, settings
    )
    now = utcnow()
    registration.publicity_starts_at = now
    registration.publicity_ends_at = period_end(now, settings.ip_notice_working_days)
    details = {
        "notice_working_days": settings.ip_notice_working_days,
        "publicity_ends_at": registration.publicity_ends_at.isoformat(),
    }
    return await done(
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
    registration, before, _ = await locked(
        session, who, registration_id, Action.reject, if_match, settings
    )
    now = utcnow()
    await _close_open_objections(session, registration, now)
    registration.decision_reason = reason
    return await done(
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
    registration, before, _ = await locked(
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
    await done(session, who, registration, Action.object, before, details, now, IpStatus.objected)
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
    registration, before, _ = await locked(
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
    return await done(session, who, registration, action, before, details, now, to)


async def grant(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """Register and issue the certificate, once the notice has ended without objection."""
    registration, before, today = await locked(
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
    problems = source_problems(registration.sources, today)
    product = await product_rows.get(session, registration.product_id)
    if product is not None and product.classification == "core":
        # Reclassified while under examination: core data is never registered.
        problems.append(("classification", CORE_UNREGISTRABLE))
    if problems:
        raise refuse(problems)
    serial = await repository.next_serial(session)
    registration.certificate_number = (
        f"{today.year:04d}{today.month:02d}{settings.ip_authority_code}{serial:07d}"
    )
    registration.granted_on = today
    registration.valid_until = granted_until(registration, today, settings.ip_validity_years)
    details = {
        "certificate_number": registration.certificate_number,
        "granted_on": today.isoformat(),
        "valid_until": registration.valid_until.isoformat(),
    }
    return await done(
        session, who, registration, Action.grant, before, details, now, IpStatus.registered
    )

"""The step machinery every registration step shares: lock the registration and check the
caller may take the step (`locked`), move it and record the step (`done`) in `ip_step`, as
a leaf of the registry log `IPR`, as events (registration and certificate) and in the
audit, all in the transaction that takes it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.core.clock import shanghai_today
from app.core.config import Settings
from app.core.db import driver, new_id, utcnow
from app.core.errors import NotFound
from app.core.i18n import Text
from app.core.principal import Principal
from app.core.steps import YOU_MAY, check_step
from app.ip import repository
from app.ip.allowed import allowed_actions, parties
from app.ip.entries import step_entry
from app.ip.models import IpRegistration, IpStep
from app.ip.states import STEPS, Action, IpStatus, who_may
from app.ip.validity import effective_status
from app.ledger import sequencer
from app.ledger.models import REGISTRY_LOG
from app.outbox import service as outbox

REGISTRATION = Text("IP registration", "数据知识产权登记")


async def record_step(
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
    await outbox.emit(
        session, f"ip_registration.{name}", "ip_registration", registration.id, concerned, data
    )
    if action in _CERTIFICATE_EVENTS:
        await outbox.emit(
            session, f"certificate.{name}", "certificate", registration.certificate_number,
            concerned, data,
        )  # fmt: skip


async def locked(
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


async def done(
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
    await record_step(session, who, registration, action, before, details, now=now)
    return registration

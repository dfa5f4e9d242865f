"""Who holds the certificate and its end: 转移 to another merchant and 注销 by the holder
(both, while a pledge is in force, only with the pledgee's consent), 撤销 by the operator."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import ValidationFailed
from app.core.i18n import Text
from app.core.principal import Principal
from app.ip import repository
from app.ip.encumbrances import consents_while_pledged
from app.ip.models import IpRegistration
from app.ip.states import STEPS, Action, PledgeStatus
from app.ip.steps import done, locked
from app.merchants import repository as merchants


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
    registration, before, today = await locked(
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
    consents = await consents_while_pledged(session, registration, today, Action.transfer, now)
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
    return await done(session, who, registration, Action.transfer, before, details, now)


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
    registration, before, today = await locked(
        session, who, registration_id, action, if_match, settings
    )
    now = utcnow()
    details: dict[str, Any] = {"reason": reason}
    if action is Action.cancel:
        details |= await consents_while_pledged(session, registration, today, action, now)
    target = STEPS[action].reaches
    assert target is not None
    registration.decision_reason = reason
    registration.suspension_reason = None
    return await done(session, who, registration, action, before, details, now, target)

"""The steps of validity: renewal within its window, and the expiry of certificates whose
validity has passed (the rules of the dates themselves: `validity.py`)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import shanghai_today
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import Conflict
from app.core.i18n import Text
from app.core.principal import Principal
from app.ip import repository
from app.ip.models import IpRegistration
from app.ip.states import Action, IpStatus
from app.ip.steps import done, locked
from app.ip.validity import agreement_end, renewal_opens_on, renewed_until, validity_end


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
    registration, before, today = await locked(
        session, who, registration_id, Action.renew, if_match, settings
    )
    old = validity_end(registration)
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
    new = renewed_until(registration, settings.ip_validity_years)
    if new <= old:
        raise Conflict(
            Text(
                f"A source agreement ends on {agreement_end(registration)}: change the "
                "sources to the renewed agreement first.",
                f"来源协议于 {agreement_end(registration)} 到期:请先变更为续签后的协议。",
            )
        )
    registration.valid_until = new
    now = utcnow()
    details = {"valid_until_before": old.isoformat(), "valid_until": new.isoformat()}
    return await done(session, who, registration, Action.renew, before, details, now)


async def expire_due(session: AsyncSession) -> int:
    """Record the `expire` step of every certificate whose validity has passed (the sweep
    runs hourly in `serve`, and from `shushang ip expire`): how many expired."""
    now = utcnow()
    due = await repository.due_to_expire(session, shanghai_today(now))
    for registration in due:
        assert registration.valid_until is not None
        details = {"valid_until": registration.valid_until.isoformat()}
        before = IpStatus.registered
        await done(
            session, None, registration, Action.expire, before, details, now, IpStatus.expired
        )
    return len(due)

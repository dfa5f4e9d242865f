"""What a caller is to a registration (`states.Party`) and what it may do with it now: what
the state admits from its parties, less what a step would refuse today by date or pledge."""

from __future__ import annotations

from datetime import datetime

from app.core.clock import shanghai_today
from app.core.config import Settings
from app.core.db import utcnow
from app.core.principal import Principal
from app.core.roles import Role
from app.ip.encumbered import (
    NEED_CONSENT,
    confirmable,
    consented,
    pledge_in_force,
    pledge_open,
    speaks_for_pledgee,
)
from app.ip.models import IpRegistration
from app.ip.repository import OpenPledges
from app.ip.states import Action, IpStatus, Party, PledgeStatus, allowed_from
from app.ip.validity import effective_status, renewal_opens_on, renewed_until, validity_end


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
    if any(speaks_for_pledgee(who, p) for p in pledges.pledges):
        mine.add(Party.pledgee)
    return frozenset(mine)


def _notice_over(registration: IpRegistration, now: datetime) -> bool:
    ends = registration.publicity_ends_at
    return ends is None or now >= ends


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
    in_force = [p for p in pledges.pledges if pledge_in_force(p, today)]
    applied = [p for p in pledges.pledges if p.status == PledgeStatus.applied]
    gates = {
        Action.object: not _notice_over(registration, now),
        Action.grant: _notice_over(registration, now),
        Action.pledge: not any(pledge_open(p, today) for p in pledges.pledges),
        Action.confirm: not in_force
        and who is not None
        and any(confirmable(who, registration, p, today) for p in applied),
        Action.withdraw: bool(applied),
        Action.consent: bool(in_force),
        Action.release: who is not None and any(speaks_for_pledgee(who, p) for p in in_force),
        **{a: all(consented(pledges, p, a) for p in in_force) for a in NEED_CONSENT},
    }
    if current is IpStatus.registered:
        gates[Action.renew] = today >= renewal_opens_on(
            registration, settings.ip_renewal_window_days
        ) and renewed_until(registration, settings.ip_validity_years) > validity_end(registration)
    return [a for a in allowed_from(current, caller) if gates.get(Action(a), True)]

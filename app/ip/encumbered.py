"""What licences and pledges restrict, pure predicates by status and term: who speaks for a
pledgee, which pledge is open or in force, which consent admits a step. The steps that
create and end them: `encumbrances.py`."""

from __future__ import annotations

from datetime import date

from app.core.principal import Principal
from app.ip.models import IpLicence, IpPledge, IpRegistration
from app.ip.repository import OpenPledges
from app.ip.states import Action, PledgeStatus

# The steps a pledge in force blocks unless the pledgee consented to that very step.
NEED_CONSENT = (Action.transfer, Action.cancel, Action.license)


def speaks_for_pledgee(who: Principal, pledge: IpPledge) -> bool:
    """Who may confirm and release a pledge: the operator (the registry, having seen the
    contract or the release), or the key of the merchant the pledge names as pledgee."""
    return who.is_operator or (
        pledge.pledgee_merchant_id is not None and who.owns_merchant(pledge.pledgee_merchant_id)
    )


def consented(pledges: OpenPledges, pledge: IpPledge, action: Action) -> bool:
    return any(c.pledge_id == pledge.id and c.step == action.value for c in pledges.consents)


def _in_force(start: date, end: date, today: date) -> bool:
    return start <= today <= end


def pledge_in_force(pledge: IpPledge, today: date) -> bool:
    """Confirmed, not released, its term not over. Only such a pledge restricts."""
    return pledge.status == PledgeStatus.in_force and pledge.ends_on >= today


def pledge_open(pledge: IpPledge, today: date) -> bool:
    """Applied for or in force, its term not over: no other pledge may be applied for."""
    return pledge.status in (PledgeStatus.applied, PledgeStatus.in_force) and (
        pledge.ends_on >= today
    )


def confirmable(
    who: Principal, registration: IpRegistration, pledge: IpPledge, today: date
) -> bool:
    return (
        pledge.status == PledgeStatus.applied
        and speaks_for_pledgee(who, pledge)
        and pledge.pledgor_merchant_id == registration.holder_merchant_id
        and pledge.ends_on >= today
    )


def licences_in_force(licences: list[IpLicence], today: date) -> list[IpLicence]:
    return [lic for lic in licences if _in_force(lic.starts_on, lic.ends_on, today)]


def pledges_in_force(pledges: list[IpPledge], today: date) -> list[IpPledge]:
    """Confirmed pledges whose term runs today: what a certificate shows (an applied one
    is no pledge yet)."""
    return [p for p in pledges if pledge_in_force(p, today) and p.starts_on <= today]

"""Data IP registration rules (DOMAIN.md, Data IP registration), the face the router and
other domains import: the reads here, every step from the module of its idea. Every step
is kept in `ip_step` and appended to the registry log `IPR`, in the transaction that takes
it (`steps.py`).

- `application.py`: apply (create) and change (变更), what is registrable;
- `examination.py`: formal review, public notice, objections, reject, grant;
- `validity.py`: the dates (effective status, renewal window, validity ends), pure;
- `renewal.py`: the renew and expire steps;
- `encumbered.py`: what licences and pledges restrict, pure;
- `encumbrances.py`: licences, pledges (apply, confirm, withdraw, consent, release);
- `title.py`: transfer, cancel and revoke;
- `suspension.py`: core-data suspension and reinstatement;
- `allowed.py`: the caller's parties and what it may do now;
- `steps.py`: the step machinery (lock and check, move, record, emit, audit)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.core.i18n import Text
from app.core.principal import Principal
from app.ip import repository
from app.ip.allowed import allowed_actions, parties
from app.ip.application import Unregistrable, change, create
from app.ip.encumbered import licences_in_force, pledges_in_force
from app.ip.encumbrances import PLEDGE, confirm, consent, license, pledge, release, withdraw
from app.ip.examination import OBJECTION, decide_objection, examine_accept, grant, object_to, reject
from app.ip.models import IpRegistration
from app.ip.renewal import expire_due, renew
from app.ip.steps import REGISTRATION
from app.ip.suspension import CORE_DATA, reinstate, suspend_core_data
from app.ip.title import end, transfer
from app.ip.validity import effective_status, renewal_opens_on

__all__ = [
    "CERTIFICATE",
    "CORE_DATA",
    "OBJECTION",
    "PLEDGE",
    "REGISTRATION",
    "Unregistrable",
    "allowed_actions",
    "certificate",
    "change",
    "confirm",
    "consent",
    "create",
    "decide_objection",
    "effective_status",
    "end",
    "examine_accept",
    "expire_due",
    "get_visible",
    "grant",
    "licences_in_force",
    "license",
    "object_to",
    "parties",
    "pledge",
    "pledges_in_force",
    "reinstate",
    "reject",
    "release",
    "renew",
    "renewal_opens_on",
    "suspend_core_data",
    "transfer",
    "withdraw",
]

CERTIFICATE = Text("certificate", "登记证书")


async def get_visible(
    session: AsyncSession, who: Principal | None, registration_id: UUID
) -> IpRegistration:
    registration = await repository.get_visible(session, registration_id, who)
    if registration is None:
        raise NotFound.of(REGISTRATION, registration_id)
    return registration


async def certificate(session: AsyncSession, number: str) -> IpRegistration:
    registration = await repository.by_certificate(session, number)
    if registration is None:
        raise NotFound.of(CERTIFICATE, number)
    return registration

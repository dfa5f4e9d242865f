"""Queries on data IP registrations, their objections, licences, pledges and steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.principal import Principal
from app.core.roles import Role
from app.ip.effective import status_is
from app.ip.models import (
    CERTIFICATE_SERIAL,
    IpLicence,
    IpObjection,
    IpPledge,
    IpPledgeConsent,
    IpRegistration,
    IpStep,
)
from app.ip.states import PUBLIC, IpStatus


@dataclass(frozen=True)
class IpFilter:
    status: IpStatus | None = None  # the effective status (`effective.status_is`)
    product_id: UUID | None = None
    holder_merchant_id: UUID | None = None


def visible_to(who: Principal | None) -> ColumnElement[bool]:
    """Who sees which registration, the one rule for lists, single reads, steps and
    certificates: anyone sees those under public notice or with a certificate issued; a
    merchant also its own applications (as holder or applicant); operators, assessors and
    auditors everything. Whoever does not see a registration gets 404."""
    public = IpRegistration.status.in_([s.value for s in PUBLIC])
    if who is not None and who.reads_everything():
        return true()
    if who is not None and who.role is Role.merchant and who.merchant_id is not None:
        return or_(
            public,
            IpRegistration.holder_merchant_id == who.merchant_id,
            IpRegistration.applicant_merchant_id == who.merchant_id,
        )
    return public


async def get_visible(
    session: AsyncSession, registration_id: UUID, who: Principal | None, for_update: bool = False
) -> IpRegistration | None:
    query = select(IpRegistration).where(IpRegistration.id == registration_id, visible_to(who))
    if for_update:
        # PostgreSQL checks the WHERE again on the locked row, so the rule holds after a wait.
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def by_certificate(session: AsyncSession, number: str) -> IpRegistration | None:
    """The registration of a certificate, as anyone may see it (every certified one is)."""
    query = select(IpRegistration).where(
        IpRegistration.certificate_number == number, visible_to(None)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def list_page(
    session: AsyncSession,
    who: Principal | None,
    where: IpFilter,
    today: date,
    after: UUID | None,
    limit: int,
) -> list[IpRegistration]:
    query = (
        select(IpRegistration).where(visible_to(who)).order_by(IpRegistration.id).limit(limit + 1)
    )
    if where.status:
        query = query.where(status_is(where.status, today))
    if where.product_id:
        query = query.where(IpRegistration.product_id == where.product_id)
    if where.holder_merchant_id:
        query = query.where(IpRegistration.holder_merchant_id == where.holder_merchant_id)
    if after:
        query = query.where(IpRegistration.id > after)
    return list((await session.execute(query)).scalars())


async def live_for_product(session: AsyncSession, product_id: UUID) -> IpRegistration | None:
    """The product's registration in progress or in force, if any."""
    live = [
        IpStatus.submitted,
        IpStatus.publicizing,
        IpStatus.objected,
        IpStatus.registered,
        IpStatus.suspended,
    ]
    query = select(IpRegistration).where(
        IpRegistration.product_id == product_id,
        IpRegistration.status.in_([s.value for s in live]),
    )
    return (await session.execute(query)).scalars().first()


async def open_ownership_objections(session: AsyncSession, product_id: UUID) -> int:
    """Open objections claiming ownership against any registration of the product."""
    query = (
        select(IpObjection.id)
        .join(IpRegistration, IpRegistration.id == IpObjection.registration_id)
        .where(
            IpRegistration.product_id == product_id,
            IpObjection.kind == "ownership",
            IpObjection.status == "open",
        )
    )
    return len((await session.execute(query)).all())


async def objections(session: AsyncSession, registration_id: UUID) -> list[IpObjection]:
    query = (
        select(IpObjection)
        .where(IpObjection.registration_id == registration_id)
        .order_by(IpObjection.id)
    )
    return list((await session.execute(query)).scalars())


async def licences(session: AsyncSession, registration_id: UUID) -> list[IpLicence]:
    query = (
        select(IpLicence)
        .where(IpLicence.registration_id == registration_id)
        .order_by(IpLicence.starts_on, IpLicence.id)
    )
    return list((await session.execute(query)).scalars())


OPEN_PLEDGE = ("applied", "in_force")


@dataclass(frozen=True)
class OpenPledges:
    """A registration's pledges applied for or in force, and the unused consents on them."""

    pledges: list[IpPledge] = field(default_factory=list)
    consents: list[IpPledgeConsent] = field(default_factory=list)


async def open_pledges(
    session: AsyncSession, registration_ids: list[UUID]
) -> dict[UUID, OpenPledges]:
    """The open pledges of each registration and their unused consents, in two queries for
    a whole page."""
    found = {rid: OpenPledges() for rid in registration_ids}
    if not registration_ids:
        return found
    query = (
        select(IpPledge)
        .where(IpPledge.registration_id.in_(registration_ids), IpPledge.status.in_(OPEN_PLEDGE))
        .order_by(IpPledge.starts_on, IpPledge.id)
    )
    by_id: dict[UUID, IpPledge] = {}
    for pledge in (await session.execute(query)).scalars():
        found[pledge.registration_id].pledges.append(pledge)
        by_id[pledge.id] = pledge
    if by_id:
        unused = select(IpPledgeConsent).where(
            IpPledgeConsent.pledge_id.in_(list(by_id)), IpPledgeConsent.used_at.is_(None)
        )
        for consent in (await session.execute(unused.order_by(IpPledgeConsent.id))).scalars():
            found[by_id[consent.pledge_id].registration_id].consents.append(consent)
    return found


async def consents(session: AsyncSession, registration_id: UUID) -> list[IpPledgeConsent]:
    """Every consent recorded on the registration's pledges, used or not."""
    query = (
        select(IpPledgeConsent)
        .join(IpPledge, IpPledge.id == IpPledgeConsent.pledge_id)
        .where(IpPledge.registration_id == registration_id)
        .order_by(IpPledgeConsent.id)
    )
    return list((await session.execute(query)).scalars())


async def held_for_product(session: AsyncSession, product_id: UUID) -> list[IpRegistration]:
    """The product's registrations in force (`registered`), locked."""
    query = (
        select(IpRegistration)
        .where(
            IpRegistration.product_id == product_id,
            IpRegistration.status == IpStatus.registered.value,
        )
        .order_by(IpRegistration.id)
        .with_for_update()
    )
    return list((await session.execute(query)).scalars())


async def pledges(session: AsyncSession, registration_id: UUID) -> list[IpPledge]:
    query = (
        select(IpPledge)
        .where(IpPledge.registration_id == registration_id)
        .order_by(IpPledge.starts_on, IpPledge.id)
    )
    return list((await session.execute(query)).scalars())


async def steps(session: AsyncSession, registration_id: UUID) -> list[IpStep]:
    query = select(IpStep).where(IpStep.registration_id == registration_id).order_by(IpStep.id)
    return list((await session.execute(query)).scalars())


async def due_to_expire(session: AsyncSession, today: date) -> list[IpRegistration]:
    """Registered certificates whose last valid day has passed, locked (others skipped)."""
    query = (
        select(IpRegistration)
        .where(
            IpRegistration.status == IpStatus.registered.value,
            IpRegistration.valid_until < today,
        )
        .order_by(IpRegistration.id)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).scalars())


async def next_serial(session: AsyncSession) -> int:
    serial = await session.scalar(CERTIFICATE_SERIAL.next_value())
    assert isinstance(serial, int)
    return serial


async def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)
    await session.flush()

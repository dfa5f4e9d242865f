"""Queries on data IP registrations, their objections, licences, pledges and steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.ip.models import (
    CERTIFICATE_SERIAL,
    IpLicence,
    IpObjection,
    IpPledge,
    IpRegistration,
    IpStep,
)
from app.ip.states import PUBLIC, IpStatus


@dataclass(frozen=True)
class IpFilter:
    status: str | None = None
    product_id: UUID | None = None
    holder_merchant_id: UUID | None = None


def visible_to(who: Principal | None) -> object:
    """Anyone sees registrations under public notice or with a certificate; a merchant also
    its own applications; operators, assessors and auditors everything."""
    public = IpRegistration.status.in_([s.value for s in PUBLIC])
    if who is None:
        return public
    if who.reads_everything():
        return IpRegistration.id.is_not(None)
    return or_(
        public,
        IpRegistration.holder_merchant_id == who.merchant_id,
        IpRegistration.applicant_merchant_id == who.merchant_id,
    )


async def get(
    session: AsyncSession, registration_id: UUID, for_update: bool = False
) -> IpRegistration | None:
    query = select(IpRegistration).where(IpRegistration.id == registration_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def by_certificate(session: AsyncSession, number: str) -> IpRegistration | None:
    query = select(IpRegistration).where(IpRegistration.certificate_number == number)
    return (await session.execute(query)).scalar_one_or_none()


async def list_page(
    session: AsyncSession,
    who: Principal | None,
    where: IpFilter,
    after: UUID | None,
    limit: int,
) -> list[IpRegistration]:
    query: Select[IpRegistration] = (
        select(IpRegistration)
        .where(visible_to(who))  # type: ignore[arg-type]
        .order_by(IpRegistration.id)
        .limit(limit + 1)
    )
    if where.status:
        query = query.where(IpRegistration.status == where.status)
    if where.product_id:
        query = query.where(IpRegistration.product_id == where.product_id)
    if where.holder_merchant_id:
        query = query.where(IpRegistration.holder_merchant_id == where.holder_merchant_id)
    if after:
        query = query.where(IpRegistration.id > after)
    return list((await session.execute(query)).scalars())


async def live_for_product(session: AsyncSession, product_id: UUID) -> IpRegistration | None:
    """The product's registration in progress or in force, if any."""
    live = [IpStatus.submitted, IpStatus.publicizing, IpStatus.objected, IpStatus.registered]
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

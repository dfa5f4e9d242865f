"""Queries on programmes and claims."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.programmes.models import Programme, ProgrammeClaim

SPENT = ("approved", "paid")


async def get(session: AsyncSession, code: str, *, for_update: bool = False) -> Programme | None:
    query = select(Programme).where(Programme.code == code)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def lock(session: AsyncSession, programme_id: UUID) -> Programme:
    """The programme's row, locked: approvals of its claims take turns on it, so approved and
    paid never pass the budget or a cap, however many approve at once."""
    query = (
        select(Programme)
        .where(Programme.id == programme_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one()


async def page(session: AsyncSession, after: str | None, limit: int) -> list[Programme]:
    query = select(Programme).order_by(Programme.code).limit(limit + 1)
    if after is not None:
        query = query.where(Programme.code > after)
    return list((await session.scalars(query)).all())


async def add(session: AsyncSession, programme: Programme) -> Programme:
    session.add(programme)
    await session.flush()
    return programme


async def used(session: AsyncSession, programme_ids: list[UUID]) -> dict[UUID, Decimal]:
    """Approved and paid, per programme."""
    if not programme_ids:
        return {}
    rows = await session.execute(
        select(ProgrammeClaim.programme_id, func.sum(ProgrammeClaim.amount))
        .where(ProgrammeClaim.programme_id.in_(programme_ids), ProgrammeClaim.state.in_(SPENT))
        .group_by(ProgrammeClaim.programme_id)
    )
    return dict(rows.all())


async def used_by(session: AsyncSession, programme_id: UUID, merchant_id: UUID) -> Decimal:
    """Approved and paid to one merchant under the programme."""
    total = await session.scalar(
        select(func.coalesce(func.sum(ProgrammeClaim.amount), 0)).where(
            ProgrammeClaim.programme_id == programme_id,
            ProgrammeClaim.merchant_id == merchant_id,
            ProgrammeClaim.state.in_(SPENT),
        )
    )
    return Decimal(total or 0)


async def insert_claim(session: AsyncSession, values: dict[str, Any]) -> UUID | None:
    """The new claim's id, or None when the merchant has claimed that first under the
    programme already (one statement: two claims at once cannot both be stored)."""
    statement = (
        insert(ProgrammeClaim)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["programme_id", "merchant_id", "first_kind"])
        .returning(ProgrammeClaim.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def claim(
    session: AsyncSession, claim_id: UUID, *, for_update: bool = False
) -> ProgrammeClaim | None:
    query = select(ProgrammeClaim).where(ProgrammeClaim.id == claim_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def claims(
    session: AsyncSession,
    programme_id: UUID,
    *,
    merchant_id: UUID | None = None,
    after: UUID | None = None,
    limit: int | None = None,
) -> list[ProgrammeClaim]:
    """The programme's claims, oldest first (of one merchant when given); `limit + 1` rows
    when a limit is given, for the page's cut."""
    query = (
        select(ProgrammeClaim)
        .where(ProgrammeClaim.programme_id == programme_id)
        .order_by(ProgrammeClaim.id)
    )
    if merchant_id is not None:
        query = query.where(ProgrammeClaim.merchant_id == merchant_id)
    if after is not None:
        query = query.where(ProgrammeClaim.id > after)
    if limit is not None:
        query = query.limit(limit + 1)
    return list((await session.scalars(query)).all())


async def codes(session: AsyncSession, programme_ids: list[UUID]) -> dict[UUID, str]:
    if not programme_ids:
        return {}
    rows = await session.execute(
        select(Programme.id, Programme.code).where(Programme.id.in_(programme_ids))
    )
    return dict(rows.all())

"""Reads and writes of negotiations, their steps and agreements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.contracts.models import Agreement, Negotiation, NegotiationStep
from app.core.principal import Principal
from app.core.roles import Role


def visible_to(who: Principal | None, row: Any = Negotiation) -> ColumnElement[bool]:
    """The parties read theirs; operators and auditors read all; nobody else any."""
    if who is None:
        return false()
    if who.role in (Role.operator, Role.auditor):
        return true()
    if who.role is Role.merchant and who.merchant_id is not None:
        return or_(
            row.consumer_merchant_id == who.merchant_id,
            row.provider_merchant_id == who.merchant_id,
        )
    return false()


async def get_visible(
    session: AsyncSession, who: Principal, negotiation_id: UUID, lock: bool = False
) -> Negotiation | None:
    query = select(Negotiation).where(Negotiation.id == negotiation_id, visible_to(who))
    if lock:
        # The row as the lock sees it, not one this session read before.
        query = query.with_for_update().execution_options(populate_existing=True)
    found: Negotiation | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def list_page(
    session: AsyncSession, who: Principal, after: UUID | None, limit: int
) -> list[Negotiation]:
    query = select(Negotiation).where(visible_to(who))
    if after is not None:
        query = query.where(Negotiation.id > after)
    query = query.order_by(Negotiation.id).limit(limit + 1)
    return list((await session.execute(query)).scalars())


async def steps(session: AsyncSession, negotiation_id: UUID) -> list[NegotiationStep]:
    query = (
        select(NegotiationStep)
        .where(NegotiationStep.negotiation_id == negotiation_id)
        .order_by(NegotiationStep.leaf_index)
    )
    return list((await session.execute(query)).scalars())


async def steps_by_id(
    session: AsyncSession, ids: Sequence[UUID]
) -> list[tuple[Negotiation, NegotiationStep]]:
    query = (
        select(Negotiation, NegotiationStep)
        .join(NegotiationStep, NegotiationStep.negotiation_id == Negotiation.id)
        .where(NegotiationStep.id.in_(ids))
    )
    return [(n, s) for n, s in (await session.execute(query)).tuples()]


async def readable_steps(
    session: AsyncSession, who: Principal | None, ids: Sequence[UUID]
) -> set[UUID]:
    query = (
        select(NegotiationStep.id)
        .join(Negotiation, Negotiation.id == NegotiationStep.negotiation_id)
        .where(NegotiationStep.id.in_(ids), visible_to(who))
    )
    return set((await session.execute(query)).scalars())


async def agreement_visible(
    session: AsyncSession, who: Principal, agreement_id: UUID
) -> Agreement | None:
    query = select(Agreement).where(Agreement.id == agreement_id, visible_to(who, Agreement))
    found: Agreement | None = (await session.execute(query)).scalar_one_or_none()
    return found

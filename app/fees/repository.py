"""Queries on fee-waiver rules: the API's (ORM) and the recording path's (the driver)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Driver
from app.fees.engine import Rule, WaiverKind
from app.fees.models import FeeWaiver


async def add(session: AsyncSession, rule: FeeWaiver) -> FeeWaiver:
    session.add(rule)
    await session.flush()
    return rule


async def get(session: AsyncSession, venue_code: str, rule_id: UUID) -> FeeWaiver | None:
    query = select(FeeWaiver).where(FeeWaiver.venue_code == venue_code, FeeWaiver.id == rule_id)
    return (await session.execute(query)).scalar_one_or_none()


async def lock(session: AsyncSession, venue_code: str, rule_id: UUID) -> FeeWaiver | None:
    query = (
        select(FeeWaiver)
        .where(FeeWaiver.venue_code == venue_code, FeeWaiver.id == rule_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def list_page(
    session: AsyncSession, venue_code: str, after: UUID | None, limit: int
) -> list[FeeWaiver]:
    query = (
        select(FeeWaiver)
        .where(FeeWaiver.venue_code == venue_code)
        .order_by(FeeWaiver.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(FeeWaiver.id > after)
    return list((await session.execute(query)).scalars())


_IN_FORCE = """
SELECT id, kind, percent, valid_from, valid_to, cap_per_merchant, tier, region_codes
FROM fee_waiver
WHERE venue_code = $1 AND valid_to >= $2 AND valid_from <= $3
ORDER BY id
"""


async def in_force(connection: Driver, venue_code: str, first: date, last: date) -> list[Rule]:
    """The venue's rules whose window meets the days `first` … `last`, oldest first."""
    rows = await connection.fetch(_IN_FORCE, venue_code, first, last)
    return [
        Rule(
            id=row["id"],
            kind=WaiverKind(row["kind"]),
            percent=row["percent"],
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
            cap_per_merchant=row["cap_per_merchant"],
            tier=row["tier"],
            region_codes=tuple(row["region_codes"] or ()),
        )
        for row in rows
    ]

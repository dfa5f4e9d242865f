"""Queries on assessments."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments.models import Assessment


async def add(session: AsyncSession, assessment: Assessment) -> Assessment:
    session.add(assessment)
    await session.flush()
    return assessment


async def get(
    session: AsyncSession, product_id: UUID, kind: str, assessment_id: UUID
) -> Assessment | None:
    query = select(Assessment).where(
        Assessment.id == assessment_id, Assessment.product_id == product_id, Assessment.kind == kind
    )
    return (await session.execute(query)).scalar_one_or_none()


async def list_page(
    session: AsyncSession, product_id: UUID, kind: str, before: UUID | None, limit: int
) -> list[Assessment]:
    """Newest first."""
    query = (
        select(Assessment)
        .where(Assessment.product_id == product_id, Assessment.kind == kind)
        .order_by(Assessment.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(Assessment.id < before)
    return list((await session.execute(query)).scalars())


async def latest_quality(session: AsyncSession, product_id: UUID) -> Assessment | None:
    query = (
        select(Assessment)
        .where(Assessment.product_id == product_id, Assessment.kind == "quality")
        .order_by(Assessment.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def latest_qualifying(
    session: AsyncSession,
    product_id: UUID,
    kind: str,
    revision: int,
    since: datetime,
    venue_code: str | None = None,
) -> Assessment | None:
    """The newest assessment of `kind` that a listing gate accepts: by an assessor or an
    operator (not a self-check), of the product's current revision, made since `since`;
    for compliance, one that covered `venue_code`."""
    query = (
        select(Assessment)
        .where(
            Assessment.product_id == product_id,
            Assessment.kind == kind,
            Assessment.product_revision == revision,
            Assessment.self_check.is_(False),
            Assessment.created_at >= since,
        )
        .order_by(Assessment.id.desc())
        .limit(1)
    )
    if venue_code is not None:
        query = query.where(Assessment.venue_results.has_key(venue_code))
    return (await session.execute(query)).scalar_one_or_none()

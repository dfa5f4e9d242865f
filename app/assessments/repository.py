"""Queries on assessments."""

from __future__ import annotations

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

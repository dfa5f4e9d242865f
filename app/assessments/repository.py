"""Queries on assessments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
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


async def settled_comparables(
    session: AsyncSession, product_id: UUID, product_type: str, domains: list[str], limit: int = 20
) -> list[tuple[UUID, Decimal, Decimal]]:
    """Recent settled (and not refunded or cancelled) trades of other products of the same
    type sharing a domain, with the traded product's latest quality coefficient:
    (trade id, amount, Q)."""
    from app.products.models import Product
    from app.trades.models import Trade, TradeEvent

    settled = select(TradeEvent.trade_id).where(TradeEvent.type == "settled")
    undone = select(TradeEvent.trade_id).where(TradeEvent.type.in_(["refunded", "cancelled"]))
    quality = (
        select(Assessment.quality_coefficient)
        .where(Assessment.product_id == Trade.product_id, Assessment.kind == "quality")
        .order_by(Assessment.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(Trade.id, Trade.amount, quality)
        .join(Product, Product.id == Trade.product_id)
        .where(
            Product.product_type == product_type,
            Product.domains.overlap(domains),
            Product.id != product_id,
            Trade.id.in_(settled),
            Trade.id.not_in(undone),
            quality.is_not(None),
        )
        .order_by(Trade.occurred_at.desc())
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    return [(t, amount, q) for t, amount, q in rows if q is not None]

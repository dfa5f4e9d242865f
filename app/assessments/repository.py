"""Queries on assessments, and the vocabulary of market comparables.

Market comparables are trusted trades only (DOMAIN.md, "Who may do what, under hostile
use"): the rule, and the one query that gathers them, are app/trades/comparables.py's, which
knows which trades count. `trades` sits above this domain, so the valuation calls it
through `MARKET` (app/core/provided.py), which app/wiring.py fills.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments.models import Assessment
from app.core.provided import Provided

# A valuation uses the most recent trusted trades of at most this many sellers.
MAX_COMPARABLES = 20
# Per reason a candidate was left out, a valuation names at most this many trade ids.
LEFT_OUT_IDS_SHOWN = 20


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


class Exclusion(StrEnum):
    """Why a candidate trade is no market comparable, in the order the rule checks."""

    valued_merchant = "valued_merchant"
    unconfirmed = "unconfirmed"
    large_unconfirmed = "large_unconfirmed"
    cancelled = "cancelled"
    refunded = "refunded"
    disputed = "disputed"
    not_settled = "not_settled"
    no_assessed_quality = "no_assessed_quality"
    older_trade_of_seller = "older_trade_of_seller"
    beyond_limit = "beyond_limit"
    outlier = "outlier"  # decided by the valuation engine, among the trusted trades


@dataclass(frozen=True)
class TrustedTrade:
    """A comparable: a trusted trade, with the assessment its quality coefficient comes from."""

    trade_id: UUID
    seller_merchant_id: UUID
    buyer_merchant_id: UUID
    occurred_at: datetime
    amount: Decimal
    quality_coefficient: Decimal
    quality_assessment_id: UUID


@dataclass(frozen=True)
class LeftOut:
    """The candidates left out for one reason: how many, and the newest of their ids."""

    count: int
    trade_ids: list[UUID]


@dataclass(frozen=True)
class Comparables:
    used: list[TrustedTrade]  # newest first
    left_out: dict[Exclusion, LeftOut]

    @property
    def candidates(self) -> int:
        return len(self.used) + sum(group.count for group in self.left_out.values())


# The comparables of a product of `merchant_id` of this type and these domains, and why
# every other candidate was left out, given the large-trade amount: the trusted trades a
# valuation compares with (app/trades/comparables.py `market_comparables`).
MarketComparables = Callable[[AsyncSession, UUID, str, list[str], Decimal], Awaitable[Comparables]]
MARKET: Provided[MarketComparables] = Provided("the market comparables of valuations")

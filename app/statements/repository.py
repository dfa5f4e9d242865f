"""The statement's queries: a merchant's trades at a venue, and their events that change
whether a trade is in force (recorded times, app/statements/closing.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.trades.confirmation import UNDONE
from app.trades.models import Trade, TradeEvent

# The events that move a trade into force or out of it.
LIFE_EVENTS = sorted({"confirmed", *UNDONE})


def _party(merchant_id: UUID) -> object:
    return or_(Trade.seller_merchant_id == merchant_id, Trade.buyer_merchant_id == merchant_id)


async def of_month(
    session: AsyncSession,
    merchant_id: UUID,
    venue_code: str,
    start: datetime,
    end: datetime,
    recorded_before: datetime | None,
) -> list[Trade]:
    """The merchant's trades at the venue dated in [start, end), recorded before
    `recorded_before` (None: all)."""
    query = select(Trade).where(
        Trade.venue_code == venue_code,
        _party(merchant_id),  # type: ignore[arg-type]
        Trade.occurred_at >= start,
        Trade.occurred_at < end,
    )
    if recorded_before is not None:
        query = query.where(Trade.created_at < recorded_before)
    return list((await session.scalars(query.order_by(Trade.occurred_at, Trade.id))).all())


async def changed_between(
    session: AsyncSession,
    merchant_id: UUID,
    venue_code: str,
    dated_before: datetime,
    since: datetime,
    until: datetime,
) -> list[Trade]:
    """The merchant's trades at the venue dated before `dated_before` that were recorded, or
    confirmed, cancelled or refunded, in [since, until)."""
    event = exists().where(
        TradeEvent.trade_id == Trade.id,
        TradeEvent.type.in_(LIFE_EVENTS),
        TradeEvent.created_at >= since,
        TradeEvent.created_at < until,
    )
    query = select(Trade).where(
        Trade.venue_code == venue_code,
        _party(merchant_id),  # type: ignore[arg-type]
        Trade.occurred_at < dated_before,
        or_(and_(Trade.created_at >= since, Trade.created_at < until), event),
    )
    return list((await session.scalars(query.order_by(Trade.id))).all())


async def life_events(
    session: AsyncSession, trade_ids: list[UUID]
) -> dict[UUID, list[tuple[str, datetime]]]:
    """Per trade, its events that move it into force or out of it: (type, recorded at)."""
    out: dict[UUID, list[tuple[str, datetime]]] = defaultdict(list)
    if not trade_ids:
        return out
    rows = await session.execute(
        select(TradeEvent.trade_id, TradeEvent.type, TradeEvent.created_at).where(
            TradeEvent.trade_id.in_(trade_ids), TradeEvent.type.in_(LIFE_EVENTS)
        )
    )
    for trade_id, kind, created_at in rows.all():
        out[trade_id].append((kind, created_at))
    return out

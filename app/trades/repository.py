"""Queries on trades, their events and idempotency records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.trades.models import IdempotencyRecord, Trade, TradeEvent


@dataclass(frozen=True)
class TradeFilter:
    venue_code: str | None = None
    merchant_id: UUID | None = None
    product_id: UUID | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    on_venue: bool | None = None
    party: UUID | None = None  # a merchant key sees the trades it is party to


async def idempotency_record(
    session: AsyncSession, api_key_id: UUID, key: str
) -> IdempotencyRecord | None:
    return await session.get(IdempotencyRecord, (api_key_id, key))


async def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)
    await session.flush()


async def get(session: AsyncSession, trade_id: UUID) -> Trade | None:
    return await session.get(Trade, trade_id)


async def lock(session: AsyncSession, trade_id: UUID) -> Trade | None:
    query = select(Trade).where(Trade.id == trade_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def events(session: AsyncSession, trade_id: UUID) -> list[TradeEvent]:
    query = select(TradeEvent).where(TradeEvent.trade_id == trade_id).order_by(TradeEvent.id)
    return list((await session.execute(query)).scalars())


def filtered(where: TradeFilter, query: Select[Any]) -> Select[Any]:
    if where.venue_code:
        query = query.where(Trade.venue_code == where.venue_code)
    for merchant in (where.merchant_id, where.party):
        if merchant:
            query = query.where(
                or_(Trade.seller_merchant_id == merchant, Trade.buyer_merchant_id == merchant)
            )
    if where.product_id:
        query = query.where(Trade.product_id == where.product_id)
    if where.occurred_from:
        query = query.where(Trade.occurred_at >= where.occurred_from)
    if where.occurred_to:
        query = query.where(Trade.occurred_at < where.occurred_to)
    if where.amount_min is not None:
        query = query.where(Trade.amount >= where.amount_min)
    if where.amount_max is not None:
        query = query.where(Trade.amount <= where.amount_max)
    if where.on_venue is not None:
        query = query.where(Trade.on_venue.is_(where.on_venue))
    return query


async def list_page(
    session: AsyncSession, where: TradeFilter, after: UUID | None, limit: int
) -> list[Trade]:
    query = filtered(where, select(Trade)).order_by(Trade.id).limit(limit + 1)
    if after is not None:
        query = query.where(Trade.id > after)
    return list((await session.execute(query)).scalars())

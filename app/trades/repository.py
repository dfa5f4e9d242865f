"""Queries on trades, their events and idempotency records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Driver, driver
from app.trades.models import Trade, TradeEvent


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


@dataclass(frozen=True, slots=True)
class FirstResponse:
    """What an Idempotency-Key's first request was, and what it was answered."""

    request_hash: bytes
    status: int
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RecordingFacts:
    """Everything recording a trade checks, read in one statement (None: no such row)."""

    first_response: FirstResponse | None
    fee_rate: Decimal | None
    seller_known: bool
    buyer_known: bool
    listing_venue: str | None
    listing_status: str | None
    listing_merchant_id: UUID | None
    listing_product_id: UUID | None
    product_merchant_id: UUID | None


_RECORDING_FACTS = """
SELECT i.request_hash, i.response_status, i.response_body,
       (SELECT fee_rate FROM venue WHERE code = $3) AS fee_rate,
       EXISTS (SELECT FROM merchant WHERE id = $4) AS seller_known,
       EXISTS (SELECT FROM merchant WHERE id = $5) AS buyer_known,
       l.venue_code AS listing_venue, l.status AS listing_status,
       l.merchant_id AS listing_merchant_id, l.product_id AS listing_product_id,
       (SELECT merchant_id FROM product WHERE id = $7) AS product_merchant_id
FROM (VALUES (1)) AS one
LEFT JOIN idempotency_record AS i ON i.api_key_id = $1 AND i.key = $2
LEFT JOIN listing AS l ON l.id = $6
"""


async def recording_facts(
    session: AsyncSession,
    api_key_id: UUID,
    key: str,
    venue_code: str,
    seller_id: UUID,
    buyer_id: UUID,
    listing_id: UUID | None,
    product_id: UUID | None,
) -> RecordingFacts:
    """Recording a trade is the hot path: one plain statement on the driver."""
    row = await (await driver(session)).fetchrow(
        _RECORDING_FACTS, api_key_id, key, venue_code, seller_id, buyer_id, listing_id, product_id
    )
    first = None
    if row["request_hash"] is not None:
        first = FirstResponse(row["request_hash"], row["response_status"], row["response_body"])
    return RecordingFacts(
        first_response=first,
        fee_rate=row["fee_rate"],
        seller_known=row["seller_known"],
        buyer_known=row["buyer_known"],
        listing_venue=row["listing_venue"],
        listing_status=row["listing_status"],
        listing_merchant_id=row["listing_merchant_id"],
        listing_product_id=row["listing_product_id"],
        product_merchant_id=row["product_merchant_id"],
    )


_TRADE_COLUMNS = (
    "id", "venue_code", "listing_id", "product_id", "seller_merchant_id", "buyer_merchant_id",
    "amount", "fee", "currency", "quantity", "term", "on_venue", "contract_digest",
    "occurred_at", "leaf_index", "recorded_by_key_id", "created_at",
)  # fmt: skip
_INSERT_TRADE = (
    f"INSERT INTO trade ({', '.join(_TRADE_COLUMNS)})"
    f" VALUES ({', '.join(f'${n}' for n in range(1, len(_TRADE_COLUMNS) + 1))})"
)
_INSERT_IDEMPOTENCY = (
    "INSERT INTO idempotency_record"
    " (api_key_id, key, request_hash, response_status, response_body, created_at)"
    " VALUES ($1, $2, $3, $4, $5, now())"
)


async def add_recorded(
    connection: Driver, trades: list[Trade], first_responses: list[tuple[UUID, str, FirstResponse]]
) -> None:
    """Store trades and the first responses of their idempotency keys (api key id, key,
    response), on the driver connection of the group committer's transaction."""
    await connection.executemany(
        _INSERT_TRADE, [tuple(getattr(t, c) for c in _TRADE_COLUMNS) for t in trades]
    )
    await connection.executemany(
        _INSERT_IDEMPOTENCY,
        [
            (key_id, key, first.request_hash, first.status, json.dumps(first.body))
            for key_id, key, first in first_responses
        ],
    )


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

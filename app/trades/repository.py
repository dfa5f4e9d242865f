"""Queries on trades, their events and idempotency records."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, false, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import with_expression

from app.core.db import Driver, columns
from app.core.principal import Principal
from app.core.roles import Role
from app.trades.confirmation import (
    confirmed_clause,
    large_clause,
    operator_confirmed_clause,
)
from app.trades.models import NewTrade, Trade, TradeEvent


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
    confirmed: bool | None = None


@dataclass(frozen=True, slots=True)
class FirstResponse:
    """What an Idempotency-Key's first request was, and what it was answered."""

    request_hash: bytes
    status: int
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RecordingFacts:
    """Everything recording one trade checks (None: no such row)."""

    principal: Principal | None  # the live key with the request's token hash
    first_response: FirstResponse | None
    fee_rate: Decimal | None
    seller_known: bool
    buyer_known: bool
    listing_venue: str | None
    listing_status: str | None
    listing_merchant_id: UUID | None
    listing_product_id: UUID | None
    product_merchant_id: UUID | None
    # The classification of the product the trade names (its own or its listing's).
    product_classification: str | None


@dataclass(frozen=True, slots=True)
class Asked:
    """What one trade to record asks about: its caller's token hash (or the key id of a
    caller already authenticated), its Idempotency-Key, parties, listing and product."""

    token_hash: bytes
    key_id: UUID | None
    key: str
    seller_id: UUID
    buyer_id: UUID
    listing_id: UUID | None
    product_id: UUID | None


_RECORDING_FACTS = """
SELECT k.id AS key_id, k.role, k.merchant_id AS key_merchant_id, k.name AS key_name,
       i.request_hash, i.response_status, i.response_body,
       v.fee_rate,
       EXISTS (SELECT FROM merchant WHERE id = a.seller_id) AS seller_known,
       EXISTS (SELECT FROM merchant WHERE id = a.buyer_id) AS buyer_known,
       l.venue_code AS listing_venue, l.status AS listing_status,
       l.merchant_id AS listing_merchant_id, l.product_id AS listing_product_id,
       p.merchant_id AS product_merchant_id, p.classification AS product_classification
FROM unnest($2::bytea[], $3::uuid[], $4::text[], $5::uuid[], $6::uuid[], $7::uuid[], $8::uuid[])
     WITH ORDINALITY AS a (token_hash, key_id, key, seller_id, buyer_id, listing_id, product_id, n)
LEFT JOIN venue AS v ON v.code = $1
LEFT JOIN LATERAL (SELECT id, role, merchant_id, name FROM api_key
                   WHERE token_hash = a.token_hash AND revoked_at IS NULL LIMIT 1) AS k ON true
LEFT JOIN LATERAL (SELECT request_hash, response_status, response_body FROM idempotency_record
                   WHERE api_key_id = COALESCE(a.key_id, k.id) AND key = a.key LIMIT 1) AS i
       ON true
LEFT JOIN LATERAL (SELECT venue_code, status, merchant_id, product_id FROM listing
                   WHERE id = a.listing_id LIMIT 1 FOR SHARE) AS l ON true
LEFT JOIN LATERAL (SELECT merchant_id, classification FROM product
                   WHERE id = COALESCE(a.product_id, l.product_id) LIMIT 1) AS p ON true
ORDER BY a.n
"""
# FOR SHARE: the listing stays as read until the batch commits. A suspension (a product
# change, a failed re-assessment, an operator) that commits first is the state read; one
# that comes later waits for the trades checked against `listed` to be recorded.
# Each lookup is a LATERAL … LIMIT 1 (the keys are unique anyway) so that it stays one index
# probe per trade: as a plain join, the planner may hash a whole table (idempotency records
# only grow) for a batch of a few trades.


_ASKED = [f.name for f in fields(Asked)]  # in the order of the statement's unnest


async def recording_facts(
    connection: Driver, venue_code: str, asked: list[Asked]
) -> list[RecordingFacts]:
    """The facts for a batch of trades at one venue, in order: one statement for them all
    (recording trades is the hot path)."""
    rows = await connection.fetch(
        _RECORDING_FACTS,
        venue_code,
        *columns(asked, _ASKED),
    )
    return [
        RecordingFacts(
            principal=None
            if row["key_id"] is None
            else Principal(
                key_id=row["key_id"],
                role=Role(row["role"]),
                merchant_id=row["key_merchant_id"],
                name=row["key_name"],
            ),
            first_response=None
            if row["request_hash"] is None
            else FirstResponse(row["request_hash"], row["response_status"], row["response_body"]),
            fee_rate=row["fee_rate"],
            seller_known=row["seller_known"],
            buyer_known=row["buyer_known"],
            listing_venue=row["listing_venue"],
            listing_status=row["listing_status"],
            listing_merchant_id=row["listing_merchant_id"],
            listing_product_id=row["listing_product_id"],
            product_merchant_id=row["product_merchant_id"],
            product_classification=row["product_classification"],
        )
        for row in rows
    ]


_TRADE_COLUMNS = (
    "id", "venue_code", "listing_id", "product_id", "seller_merchant_id", "buyer_merchant_id",
    "amount", "fee", "currency", "quantity", "term", "on_venue", "contract_digest",
    "occurred_at", "leaf_index", "recorded_by_key_id", "reported_by_merchant_id", "created_at",
    "fee_before_waiver", "fee_waiver_id",
)  # fmt: skip
_RECORD = f"""
WITH trades AS (
    INSERT INTO trade ({", ".join(_TRADE_COLUMNS)})
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[],
                         $7::numeric[], $8::numeric[], $9::text[], $10::text[], $11::text[],
                         $12::boolean[], $13::text[], $14::timestamptz[], $15::bigint[],
                         $16::uuid[], $17::uuid[], $18::timestamptz[], $19::numeric[],
                         $20::uuid[])
)
INSERT INTO idempotency_record
    (api_key_id, key, request_hash, response_status, response_body, created_at)
SELECT k.api_key_id, k.key, k.request_hash, k.response_status, k.response_body::jsonb, now()
FROM unnest($21::uuid[], $22::text[], $23::bytea[], $24::integer[], $25::text[])
     AS k (api_key_id, key, request_hash, response_status, response_body)
"""


async def add_recorded(
    connection: Driver,
    trades: list[NewTrade],
    first_responses: list[tuple[UUID, str, bytes, int, str]],
) -> None:
    """Store trades and the first responses of their idempotency keys (api key id, key,
    request hash, status, JSON body), on the driver connection of the group committer's
    transaction: one statement for the batch."""
    await connection.execute(
        _RECORD,
        *columns(trades, _TRADE_COLUMNS),
        *(list(column) for column in zip(*first_responses, strict=True)),
    )


async def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)
    await session.flush()


def visible_to(who: Principal) -> ColumnElement[bool]:
    """The one rule of who sees which trade: operators and auditors every trade, a merchant
    key those its merchant is a party to (buyer or seller), anyone else none. Lists, the
    export, single reads and the event route all read through it, so a trade one of them
    hides is hidden by all (a hidden trade is 404, as if it did not exist)."""
    if who.role in (Role.operator, Role.auditor):
        return true()
    if who.role is Role.merchant and who.merchant_id is not None:
        return or_(
            Trade.seller_merchant_id == who.merchant_id,
            Trade.buyer_merchant_id == who.merchant_id,
        )
    return false()


def readable(who: Principal, large_amount: Decimal) -> Select[Trade]:
    """The trades `who` may read, each with `confirmed`, `operator_confirmed` and `large`
    computed (`large_amount`: `SHUSHANG_LARGE_TRADE_AMOUNT`)."""
    return (
        select(Trade)
        .where(visible_to(who))
        .options(
            with_expression(Trade.confirmed, confirmed_clause()),
            with_expression(Trade.operator_confirmed, operator_confirmed_clause()),
            with_expression(Trade.large, large_clause(large_amount)),
        )
    )


async def get(
    session: AsyncSession, who: Principal, trade_id: UUID, large_amount: Decimal
) -> Trade | None:
    query = (
        readable(who, large_amount)
        .where(Trade.id == trade_id)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def lock(session: AsyncSession, who: Principal, trade_id: UUID) -> Trade | None:
    """The trade, locked until the transaction ends, if `who` may read it. Whether it is
    confirmed is for the caller to decide on the events read after the lock."""
    query = (
        select(Trade)
        .where(visible_to(who), Trade.id == trade_id)
        .with_for_update(of=Trade)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def events(session: AsyncSession, trade_id: UUID) -> list[TradeEvent]:
    query = select(TradeEvent).where(TradeEvent.trade_id == trade_id).order_by(TradeEvent.id)
    return list((await session.execute(query)).scalars())


def filtered(where: TradeFilter, query: Select[Any]) -> Select[Any]:
    if where.venue_code:
        query = query.where(Trade.venue_code == where.venue_code)
    if where.merchant_id:
        query = query.where(
            or_(
                Trade.seller_merchant_id == where.merchant_id,
                Trade.buyer_merchant_id == where.merchant_id,
            )
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
    if where.confirmed is not None:
        query = query.where(confirmed_clause() if where.confirmed else not_(confirmed_clause()))
    return query


async def list_page(
    session: AsyncSession,
    who: Principal,
    where: TradeFilter,
    after: UUID | None,
    limit: int,
    large_amount: Decimal,
) -> list[Trade]:
    query = filtered(where, readable(who, large_amount)).order_by(Trade.id).limit(limit + 1)
    if after is not None:
        query = query.where(Trade.id > after)
    return list((await session.execute(query)).scalars())


# --- What a fee waiver needs (app/trades/waivers.py) --------------------------------------

_SELLERS = """
SELECT m.id, m.tier, m.region_code,
       NOT EXISTS (SELECT FROM trade AS t
                   WHERE t.seller_merchant_id = m.id AND t.on_venue) AS first_on_venue
FROM merchant AS m WHERE m.id = ANY($1::uuid[])
"""


async def sellers_for_waivers(
    connection: Driver, ids: list[UUID]
) -> dict[UUID, tuple[str | None, str, bool]]:
    """Each seller's tier, region code and whether it has no on-venue trade recorded yet (as
    committed when asked: ask under the waivers' locks)."""
    rows = await connection.fetch(_SELLERS, ids)
    return {row["id"]: (row["tier"], row["region_code"], row["first_on_venue"]) for row in rows}


_WAIVED = """
SELECT a.rule_id, a.seller_id, a.year,
       (SELECT COALESCE(sum(t.fee_before_waiver - t.fee), 0) FROM trade AS t
        WHERE t.fee_waiver_id = a.rule_id AND t.seller_merchant_id = a.seller_id
          AND t.occurred_at >= make_timestamptz(a.year, 1, 1, 0, 0, 0, 'Asia/Shanghai')
          AND t.occurred_at < make_timestamptz(a.year + 1, 1, 1, 0, 0, 0, 'Asia/Shanghai'))
       AS waived
FROM unnest($1::uuid[], $2::uuid[], $3::integer[]) AS a (rule_id, seller_id, year)
"""


async def waived(
    connection: Driver, asked: list[tuple[UUID, UUID, int]]
) -> dict[tuple[UUID, UUID, int], Decimal]:
    """What each rule has waived each seller in each calendar year (Asia/Shanghai) so far,
    for the (rule, seller, year) asked."""
    if not asked:
        return {}
    rules, sellers, years = (list(column) for column in zip(*asked, strict=True))
    rows = await connection.fetch(_WAIVED, rules, sellers, years)
    return {(row["rule_id"], row["seller_id"], row["year"]): row["waived"] for row in rows}


# Transaction-scoped advisory locks, taken in one order (of their hashes) so that two
# transactions asking for some of the same never wait for each other in a circle.
_LOCK = """
SELECT pg_advisory_xact_lock(h)
FROM (SELECT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY 1) AS s
"""


async def lock_all(connection: Driver, keys: list[str]) -> None:
    await connection.execute(_LOCK, keys)


async def recorded_with_digest(
    session: AsyncSession, digest: str, listing_id: UUID, seller: UUID, buyer: UUID
) -> UUID | None:
    query = (
        select(Trade.id)
        .where(
            Trade.seller_merchant_id == seller,
            Trade.buyer_merchant_id == buyer,
            Trade.listing_id == listing_id,
            Trade.contract_digest == digest,
        )
        .order_by(Trade.created_at, Trade.id)
        .limit(1)
    )
    found: UUID | None = (await session.execute(query)).scalar_one_or_none()
    return found

"""Trades (交易) and their events, never updated or deleted. (The idempotency records of
their recording are app/web/idempotency.py's, shared with every step that changes money or
title.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, query_expression

from app.core.db import Base, new_id, utcnow


class Trade(Base):
    __tablename__ = "trade"
    __table_args__ = (
        CheckConstraint("amount > 0 AND amount <= 1000000000000", name="amount_range"),
        CheckConstraint("buyer_merchant_id <> seller_merchant_id", name="two_parties"),
        Index("ix_trade_venue_occurred", "venue_code", "occurred_at", "id"),
        Index("ix_trade_seller", "seller_merchant_id", "id"),
        Index("ix_trade_buyer", "buyer_merchant_id", "id"),
        Index("ix_trade_product", "product_id", "id"),
        # What a waiver rule has granted one seller (its cap per merchant and year).
        Index(
            "ix_trade_fee_waiver",
            "fee_waiver_id",
            "seller_merchant_id",
            "occurred_at",
            postgresql_where=text("fee_waiver_id IS NOT NULL"),
        ),
        CheckConstraint(
            "fee <= fee_before_waiver AND fee >= 0 "
            "AND (fee_waiver_id IS NOT NULL OR fee = fee_before_waiver)",
            name="fee_waived_by_rule",
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    venue_code: Mapped[str] = mapped_column(ForeignKey("venue.code", ondelete="RESTRICT"))
    listing_id: Mapped[UUID | None] = mapped_column(ForeignKey("listing.id", ondelete="RESTRICT"))
    product_id: Mapped[UUID | None] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    seller_merchant_id: Mapped[UUID] = mapped_column(ForeignKey("merchant.id", ondelete="RESTRICT"))
    buyer_merchant_id: Mapped[UUID] = mapped_column(ForeignKey("merchant.id", ondelete="RESTRICT"))
    amount: Mapped[Decimal] = mapped_column(Numeric(15, 2))
    fee: Mapped[Decimal] = mapped_column(Numeric(15, 2))
    # amount × the venue's rate, rounded half-up; `fee` is this less the waiver of the rule
    # `fee_waiver_id` (app/fees/), fixed at recording. Equal to `fee` when nothing was waived.
    fee_before_waiver: Mapped[Decimal] = mapped_column(Numeric(15, 2))
    fee_waiver_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("fee_waiver.id", ondelete="RESTRICT")
    )
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    quantity: Mapped[str | None] = mapped_column(String(100))
    term: Mapped[str | None] = mapped_column(String(100))
    on_venue: Mapped[bool] = mapped_column(Boolean)
    contract_digest: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    leaf_index: Mapped[int] = mapped_column(BigInteger)
    recorded_by_key_id: Mapped[UUID | None] = mapped_column()
    # The merchant whose key reported this off-venue trade: unconfirmed until the counterparty
    # or an operator appends `confirmed`. NULL when an operator recorded it.
    reported_by_merchant_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("merchant.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Not columns: whether the trade is confirmed, by an operator, and large, computed by the
    # query that reads it (app/trades/repository.py `readable`, from app/trades/confirmation.py).
    confirmed: Mapped[bool] = query_expression()
    operator_confirmed: Mapped[bool] = query_expression()
    large: Mapped[bool] = query_expression()


@dataclass(slots=True)
class NewTrade:
    """A trade on its way to being recorded, as plain data: the recording path builds many
    of these a second and has no use for the ORM's bookkeeping. Same fields as `Trade`."""

    id: UUID
    venue_code: str
    listing_id: UUID | None
    product_id: UUID | None
    seller_merchant_id: UUID
    buyer_merchant_id: UUID
    amount: Decimal
    fee: Decimal
    currency: str
    quantity: str | None
    term: str | None
    on_venue: bool
    contract_digest: str
    occurred_at: datetime
    recorded_by_key_id: UUID
    reported_by_merchant_id: UUID | None
    created_at: datetime
    confirmed: bool  # not stored: whether the trade is confirmed as recorded,
    operator_confirmed: bool  # by an operator,
    large: bool  # and large (app/trades/confirmation.py)
    fee_before_waiver: Decimal = Decimal(0)  # set by `service.new_trade` (= fee, unwaived)
    fee_waiver_id: UUID | None = None
    leaf_index: int = -1  # set when the ledger gives the trade its leaf


class TradeEvent(Base):
    """A step of a trade after it was recorded (`confirmed`, `delivered`, `settled`, …): a
    fact of the trade itself, a leaf of its venue's log (`POST /v1/transactions/{id}/events`).

    One of Shushang's three kinds of "events": not an outbox event (app/outbox/, the
    `/v1/events` feed and webhooks, where each step is also announced as `trade.*`), nor a
    listing's history (`ListingEvent`)."""

    __tablename__ = "trade_event"
    __table_args__ = (
        CheckConstraint(
            "type IN ('confirmed', 'delivered', 'settled', 'disputed', 'refunded', 'cancelled')",
            name="type_known",
        ),
        Index("ix_trade_event_trade_id", "trade_id", "id"),
        Index(
            "ix_trade_event_confirmed",
            "trade_id",
            postgresql_where=text("type = 'confirmed'"),
        ),
        CheckConstraint(
            "recorded_by_role IN ('operator', 'merchant', 'assessor', 'auditor')",
            name="recorded_by_role_known",
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    trade_id: Mapped[UUID] = mapped_column(ForeignKey("trade.id", ondelete="RESTRICT"))
    type: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(String(2000))
    leaf_index: Mapped[int] = mapped_column(BigInteger)
    recorded_by_key_id: Mapped[UUID | None] = mapped_column()
    # The role of that key when it appended the event (an operator's `confirmed` is what a
    # large off-venue trade waits for); NULL only for events older than this column whose key
    # was unknown.
    recorded_by_role: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

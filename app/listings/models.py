"""The `listing` table (挂牌: a product offered on one venue) and its `listing_event` history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, new_id, utcnow


class Listing(Base):
    __tablename__ = "listing"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'submitted', 'listed', 'suspended', 'delisted', 'rejected')",
            name="status_known",
        ),
        CheckConstraint(
            "price_model IN ('one_time', 'subscription', 'per_call', 'per_row', 'negotiable')",
            name="price_model_known",
        ),
        CheckConstraint("price_amount IS NULL OR price_amount > 0", name="price_positive"),
        # One live listing per product and venue.
        Index(
            "uq_listing_live_product_venue",
            "product_id",
            "venue_code",
            unique=True,
            postgresql_where=text("status IN ('draft', 'submitted', 'listed', 'suspended')"),
        ),
        Index("ix_listing_status_venue", "status", "venue_code", "product_id"),
        # The catalog's orders (app/catalog/repository.py): newest first, and by price.
        Index(
            "ix_listing_listed_newest",
            "listed_at",
            "id",
            postgresql_where=text("status = 'listed'"),
        ),
        Index(
            "ix_listing_listed_price",
            "price_amount",
            "id",
            postgresql_where=text("status = 'listed'"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    product_id: Mapped[UUID] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    venue_code: Mapped[str] = mapped_column(ForeignKey("venue.code", ondelete="RESTRICT"))
    merchant_id: Mapped[UUID] = mapped_column(
        ForeignKey("merchant.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="draft")
    price_model: Mapped[str] = mapped_column(String(16))
    price_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    price_unit: Mapped[str | None] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    trial_terms: Mapped[str | None] = mapped_column(Text)
    licence: Mapped[str | None] = mapped_column(Text)
    listed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ListingEvent(Base):
    """One step of a listing: who took it, when, from which state to which, and why.

    The listing's history (`GET /v1/listings/{id}/events`), one of Shushang's three kinds of
    "events": not an outbox event (app/outbox/, the `/v1/events` feed and webhooks, where a
    step is also announced as `listing.*`), nor a trade's event (`TradeEvent`)."""

    __tablename__ = "listing_event"
    __table_args__ = (Index("ix_listing_event_listing_id", "listing_id", "id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    listing_id: Mapped[UUID] = mapped_column(ForeignKey("listing.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    automatic: Mapped[bool] = mapped_column(default=False)
    actor_key_id: Mapped[UUID | None] = mapped_column()
    actor_role: Mapped[str | None] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

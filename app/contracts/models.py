"""The contract negotiations (DSP states) between a buyer and a listing's merchant, their
steps (each a leaf of the listing's venue log) and the agreements they reach (DOMAIN.md
"Contracts and delivery"). Steps and agreements are written once and never changed; an
agreement's `trade_id` is set once, when a trade records its digest."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, new_id, utcnow

STATES = "('REQUESTED', 'OFFERED', 'ACCEPTED', 'AGREED', 'VERIFIED', 'FINALIZED', 'TERMINATED')"


class Negotiation(Base):
    __tablename__ = "negotiation"
    __table_args__ = (
        CheckConstraint(f"state IN {STATES}", name="state_known"),
        CheckConstraint("consumer_merchant_id <> provider_merchant_id", name="two_parties"),
        Index("ix_negotiation_consumer", "consumer_merchant_id", "id"),
        Index("ix_negotiation_provider", "provider_merchant_id", "id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    listing_id: Mapped[UUID] = mapped_column(ForeignKey("listing.id", ondelete="RESTRICT"))
    venue_code: Mapped[str] = mapped_column(ForeignKey("venue.code", ondelete="RESTRICT"))
    consumer_merchant_id: Mapped[UUID] = mapped_column(
        ForeignKey("merchant.id", ondelete="RESTRICT")
    )
    provider_merchant_id: Mapped[UUID] = mapped_column(
        ForeignKey("merchant.id", ondelete="RESTRICT")
    )
    state: Mapped[str] = mapped_column(String(16))
    # The ODRL offer in force (the consumer's request or the provider's last offer).
    offer: Mapped[dict[str, Any]] = mapped_column(JSONB)
    agreement_id: Mapped[UUID | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NegotiationStep(Base):
    """One step of a negotiation, as appended to the venue's log (`negotiation_step`)."""

    __tablename__ = "negotiation_step"
    __table_args__ = (Index("ix_negotiation_step_negotiation", "negotiation_id", "created_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    negotiation_id: Mapped[UUID] = mapped_column(ForeignKey("negotiation.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    offer: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    agreement_sha256: Mapped[str | None] = mapped_column(String(64))
    recorded_by_key_id: Mapped[UUID] = mapped_column()
    recorded_by_role: Mapped[str] = mapped_column(String(16))
    leaf_index: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Agreement(Base):
    """The agreement of a negotiation that reached AGREED: its RFC 8785 canonical document
    exactly as hashed and signed."""

    __tablename__ = "agreement"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    negotiation_id: Mapped[UUID] = mapped_column(
        ForeignKey("negotiation.id", ondelete="RESTRICT"), unique=True
    )
    listing_id: Mapped[UUID] = mapped_column(ForeignKey("listing.id", ondelete="RESTRICT"))
    consumer_merchant_id: Mapped[UUID] = mapped_column(
        ForeignKey("merchant.id", ondelete="RESTRICT")
    )
    provider_merchant_id: Mapped[UUID] = mapped_column(
        ForeignKey("merchant.id", ondelete="RESTRICT")
    )
    canonical: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    signature: Mapped[str] = mapped_column(Text)
    trade_id: Mapped[UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

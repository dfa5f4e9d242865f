"""Incentive programmes (激励计划) a data bureau runs on merchants' firsts, and the claims on
them (申报).

A programme's `firsts` maps each kind of first it rewards to the amount (CNY, a decimal
string); `region_codes` are administrative-code prefixes (2, 4 or 6 digits). A claim keeps the
evidence it was made on (the first's record, log and leaf) and is never removed: when the
merchant's first of that kind changes later, the claim is read as `evidence_changed`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, new_id, utcnow

CLAIM_STATES = ("applied", "approved", "rejected", "paid")


class Programme(Base):
    __tablename__ = "programme"
    __table_args__ = (
        CheckConstraint("starts_on <= ends_on", name="window_order"),
        CheckConstraint("budget > 0 AND cap_per_merchant > 0", name="amounts_positive"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(200))
    region_codes: Mapped[list[str]] = mapped_column(ARRAY(String(6)))
    firsts: Mapped[dict[str, str]] = mapped_column(JSONB)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    tiers: Mapped[list[str] | None] = mapped_column(ARRAY(String(16)))
    cap_per_merchant: Mapped[Decimal] = mapped_column(Numeric(15, 2))
    budget: Mapped[Decimal] = mapped_column(Numeric(15, 2))
    created_by_key_id: Mapped[UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ProgrammeClaim(Base):
    """One merchant's claim on one first under one programme (one at most)."""

    __tablename__ = "programme_claim"
    __table_args__ = (
        UniqueConstraint("programme_id", "merchant_id", "first_kind"),
        CheckConstraint("state IN ('applied', 'approved', 'rejected', 'paid')", name="state_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    # Indexed by the unique constraint, which leads with it.
    programme_id: Mapped[UUID] = mapped_column(ForeignKey("programme.id", ondelete="RESTRICT"))
    merchant_id: Mapped[UUID] = mapped_column(
        ForeignKey("merchant.id", ondelete="RESTRICT"), index=True
    )
    first_kind: Mapped[str] = mapped_column(String(16))
    first_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(15, 2))
    state: Mapped[str] = mapped_column(String(16), default="applied")
    # The first as it stood at claim time: {record: {type, id}, log, leaf_index}.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by_key_id: Mapped[UUID | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

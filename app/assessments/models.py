"""The `assessment` table: immutable results of quality, compliance and valuation assessments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, new_id, utcnow


class Assessment(Base):
    __tablename__ = "assessment"
    __table_args__ = (
        CheckConstraint("kind IN ('quality', 'compliance', 'valuation')", name="kind_known"),
        Index("ix_assessment_product_kind", "product_id", "kind", "id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    product_id: Mapped[UUID] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    product_revision: Mapped[int] = mapped_column(Integer)
    sample_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("product_sample.id", ondelete="RESTRICT")
    )
    sample_sha256: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str | None] = mapped_column(String(16))
    rules_version: Mapped[str] = mapped_column(String(64))
    self_check: Mapped[bool] = mapped_column(Boolean)
    actor_key_id: Mapped[UUID | None] = mapped_column()
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_merchant_id: Mapped[UUID | None] = mapped_column()
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB)
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # Summaries, queryable for listing gates and statistics.
    overall: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    grade: Mapped[str | None] = mapped_column(String(1))
    quality_coefficient: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    compliance_result: Mapped[str | None] = mapped_column(String(16))
    venue_results: Mapped[dict[str, str] | None] = mapped_column(JSONB)
    value: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    duration_ms: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

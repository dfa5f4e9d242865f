"""The `venue` table: exchange venues (交易场所), each with its fee rate and negative list."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class Venue(Base):
    __tablename__ = "venue"
    __table_args__ = (
        CheckConstraint("fee_rate >= 0 AND fee_rate < 1", name="fee_rate_range"),
        CheckConstraint("code ~ '^[A-Z][A-Z0-9]{1,15}$'", name="code_format"),
    )

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(6))
    fee_rate: Mapped[Decimal] = mapped_column(Numeric(7, 6))
    negative_list: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    negative_list_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class NegativeListVersion(Base):
    """Every version a venue's negative list has had, kept for the assessments that used it."""

    __tablename__ = "venue_negative_list"

    venue_code: Mapped[str] = mapped_column(
        ForeignKey("venue.code", ondelete="RESTRICT"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_by_key_id: Mapped[UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

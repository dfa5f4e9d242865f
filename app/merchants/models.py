"""The `merchant` (数商) and `merchant_certification` tables."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, new_id, utcnow


class Merchant(Base):
    __tablename__ = "merchant"
    __table_args__ = (
        CheckConstraint("region_code ~ '^[0-9]{6}$'", name="region_code_format"),
        CheckConstraint("tier IN ('leading', 'growth')", name="tier_known"),
        Index("ix_merchant_categories", "categories", postgresql_using="gin"),
        Index(
            "ix_merchant_region_code",
            "region_code",
            postgresql_ops={"region_code": "text_pattern_ops"},
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    uscc_override_reason: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(String(6))
    categories: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    third_party_roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    tier: Mapped[str | None] = mapped_column(String(16))
    contact_email: Mapped[str] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    certifications: Mapped[list[Certification]] = relationship(
        back_populates="merchant",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="Certification.id",
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Certification(Base):
    """A certificate a merchant holds: DCMM, DSMM (with level), ISO 27001/9001/20000, ITSS."""

    __tablename__ = "merchant_certification"
    __table_args__ = (
        CheckConstraint("level IS NULL OR level BETWEEN 1 AND 5", name="level_range"),
        Index(
            "ix_merchant_certification_scheme_level",
            "scheme",
            "level",
            "valid_until",
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    merchant_id: Mapped[UUID] = mapped_column(
        ForeignKey("merchant.id", ondelete="CASCADE"), index=True
    )
    scheme: Mapped[str] = mapped_column(String(16))
    level: Mapped[int | None] = mapped_column(SmallInteger)
    certificate_number: Mapped[str | None] = mapped_column(String(100))
    issued_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    merchant: Mapped[Merchant] = relationship(back_populates="certifications", lazy="raise")

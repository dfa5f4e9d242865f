"""The `product` table (数据产品) and its immutable `product_revision` history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, new_id, utcnow


class Product(Base):
    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'active', 'retired')", name="status_known"),
        CheckConstraint(
            "classification IN ('general', 'important', 'core')", name="classification_known"
        ),
        CheckConstraint(
            "(classification = 'general') OR classification_level IS NULL",
            name="level_only_for_general",
        ),
        CheckConstraint(
            "persons_count IS NULL OR persons_count >= 0", name="persons_count_positive"
        ),
        Index("ix_product_search_name", "search_name", postgresql_using="gin"),
        Index("ix_product_search_words", "search_words", postgresql_using="gin"),
        Index("ix_product_search_pairs", "search_pairs", postgresql_using="gin"),
        Index("ix_product_domains", "domains", postgresql_using="gin"),
        Index("ix_product_merchant_id", "merchant_id", "id"),
        Index("ix_product_updated_at", "updated_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    merchant_id: Mapped[UUID] = mapped_column(ForeignKey("merchant.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    product_type: Mapped[str] = mapped_column(String(32))
    domains: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    data_sources: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    classification: Mapped[str] = mapped_column(String(16), default="general")
    classification_level: Mapped[int | None] = mapped_column(SmallInteger)
    contains_personal_info: Mapped[bool] = mapped_column(Boolean, default=False)
    sensitive_personal_info: Mapped[bool] = mapped_column(Boolean, default=False)
    personal_info_basis: Mapped[str | None] = mapped_column(String(32))
    persons_count: Mapped[int | None] = mapped_column(BigInteger)
    cross_border: Mapped[bool] = mapped_column(Boolean, default=False)
    cross_border_assessment_ref: Mapped[str | None] = mapped_column(String(200))
    update_frequency: Mapped[str | None] = mapped_column(String(16))
    coverage_start: Mapped[date | None] = mapped_column(Date)
    coverage_end: Mapped[date | None] = mapped_column(Date)
    delivery_modes: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)
    data_schema: Mapped[dict[str, Any] | None] = mapped_column("schema", JSONB)
    service_level: Mapped[str | None] = mapped_column(String(500))
    data_as_of: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # The search text (app/products/search.py), never loaded with the product.
    search_name: Mapped[str] = mapped_column(TSVECTOR, deferred=True)
    search_words: Mapped[str] = mapped_column(TSVECTOR, deferred=True)
    search_pairs: Mapped[str] = mapped_column(TSVECTOR, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The revision number is the optimistic-locking version: each change makes the next one.
    revision: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012


class ProductRevision(Base):
    """One numbered, immutable state of a product, with what changed and who changed it."""

    __tablename__ = "product_revision"
    __table_args__ = (UniqueConstraint("product_id", "number", name="uq_product_revision_number"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    product_id: Mapped[UUID] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    number: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB)
    actor_key_id: Mapped[UUID | None] = mapped_column()
    actor_role: Mapped[str | None] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

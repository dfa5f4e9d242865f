"""The `api_key` table: keys are stored as SHA-256 hashes, never in the clear."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, new_id, utcnow


class ApiKey(Base):
    __tablename__ = "api_key"
    __table_args__ = (
        CheckConstraint(
            "role IN ('operator', 'merchant', 'assessor', 'auditor')", name="role_known"
        ),
        CheckConstraint("(role = 'merchant') = (merchant_id IS NOT NULL)", name="merchant_key"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    merchant_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("merchant.id", ondelete="RESTRICT"), index=True
    )
    token_prefix: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_key_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("api_key.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RateLimitBucket(Base):
    """A limited caller's shared bucket (app/core/ratelimit.py): UNLOGGED, see the migration
    `2026-11-30_02_shared_rate_limits`, which also defines `rate_limit_take`."""

    __tablename__ = "rate_limit_bucket"
    __table_args__ = ({"prefixes": ["UNLOGGED"], "postgresql_with": {"fillfactor": "50"}},)

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    tat: Mapped[datetime] = mapped_column(DateTime(timezone=True))

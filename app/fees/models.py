"""The `fee_waiver` table: a venue's rules that waive part of the fee (减免撮合服务费) of
the on-venue trades recorded while they hold (DOMAIN.md "Firsts, programmes and fees").

A rule is never changed once created, except that `POST …/{id}/end` may bring its last day
forward (`valid_to`, `ended_at`): a correction is a new rule. What a rule waived stays on
the trades it waived (`trade.fee_before_waiver`, `trade.fee_waiver_id`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Numeric, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, new_id, utcnow


class FeeWaiver(Base):
    __tablename__ = "fee_waiver"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('first_on_venue_trade', 'tier', 'region', 'period')", name="kind_known"
        ),
        CheckConstraint("percent > 0 AND percent <= 100", name="percent_range"),
        CheckConstraint("valid_from <= valid_to", name="window_ordered"),
        CheckConstraint(
            "cap_per_merchant > 0 AND cap_per_merchant <= 1000000000000", name="cap_range"
        ),
        CheckConstraint("(kind = 'tier') = (tier IS NOT NULL)", name="tier_for_tier_kind"),
        CheckConstraint(
            "(kind = 'region') = (region_codes IS NOT NULL)", name="regions_for_region_kind"
        ),
        CheckConstraint("tier IS NULL OR tier IN ('leading', 'growth')", name="tier_known"),
        Index("ix_fee_waiver_venue", "venue_code", "valid_to", "id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    venue_code: Mapped[str] = mapped_column(ForeignKey("venue.code", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(32))
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    # The window, by the trade's `occurred_at` date (Asia/Shanghai), both days included.
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    # The most one seller may be waived under this rule in one calendar year (by
    # `occurred_at`, Asia/Shanghai).
    cap_per_merchant: Mapped[Decimal] = mapped_column(Numeric(15, 2))
    tier: Mapped[str | None] = mapped_column(String(16))
    region_codes: Mapped[list[str] | None] = mapped_column(ARRAY(String(6)))
    created_by_key_id: Mapped[UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

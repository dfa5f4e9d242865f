"""Fee waivers (减免撮合服务费): a venue's waiver rules, and what each trade was waived.

`fee_waiver` holds the rules (DOMAIN.md "Firsts, programmes and fees → Fees"); a trade
keeps the fee before any waiver (`fee_before_waiver`, backfilled with `fee`: no trade
recorded before this revision was waived) and the rule that waived it (`fee_waiver_id`).

Revision ID: 20261207_08
Revises: 20261207_06
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261207_08"
down_revision: str | None = "20261207_06"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fee_waiver",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("venue_code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("cap_per_merchant", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("region_codes", postgresql.ARRAY(sa.String(length=6)), nullable=True),
        sa.Column("created_by_key_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('first_on_venue_trade', 'tier', 'region', 'period')",
            name=op.f("ck_fee_waiver_kind_known"),
        ),
        sa.CheckConstraint(
            "percent > 0 AND percent <= 100", name=op.f("ck_fee_waiver_percent_range")
        ),
        sa.CheckConstraint("valid_from <= valid_to", name=op.f("ck_fee_waiver_window_ordered")),
        sa.CheckConstraint(
            "cap_per_merchant > 0 AND cap_per_merchant <= 1000000000000",
            name=op.f("ck_fee_waiver_cap_range"),
        ),
        sa.CheckConstraint(
            "(kind = 'tier') = (tier IS NOT NULL)", name=op.f("ck_fee_waiver_tier_for_tier_kind")
        ),
        sa.CheckConstraint(
            "(kind = 'region') = (region_codes IS NOT NULL)",
            name=op.f("ck_fee_waiver_regions_for_region_kind"),
        ),
        sa.CheckConstraint(
            "tier IS NULL OR tier IN ('leading', 'growth')", name=op.f("ck_fee_waiver_tier_known")
        ),
        sa.ForeignKeyConstraint(
            ["venue_code"],
            ["venue.code"],
            name=op.f("fk_fee_waiver_venue_code_venue"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_waiver")),
    )
    op.create_index(
        "ix_fee_waiver_venue", "fee_waiver", ["venue_code", "valid_to", "id"], unique=False
    )
    op.add_column(
        "trade", sa.Column("fee_before_waiver", sa.Numeric(precision=15, scale=2), nullable=True)
    )
    op.add_column("trade", sa.Column("fee_waiver_id", sa.Uuid(), nullable=True))
    op.execute("UPDATE trade SET fee_before_waiver = fee")
    op.alter_column("trade", "fee_before_waiver", nullable=False)
    op.create_foreign_key(
        op.f("fk_trade_fee_waiver_id_fee_waiver"),
        "trade",
        "fee_waiver",
        ["fee_waiver_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_check_constraint(
        op.f("ck_trade_fee_waived_by_rule"),
        "trade",
        "fee <= fee_before_waiver AND fee >= 0 "
        "AND (fee_waiver_id IS NOT NULL OR fee = fee_before_waiver)",
    )
    op.create_index(
        "ix_trade_fee_waiver",
        "trade",
        ["fee_waiver_id", "seller_merchant_id", "occurred_at"],
        unique=False,
        postgresql_where=sa.text("fee_waiver_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_trade_fee_waiver",
        table_name="trade",
        postgresql_where=sa.text("fee_waiver_id IS NOT NULL"),
    )
    op.drop_constraint(op.f("ck_trade_fee_waived_by_rule"), "trade", type_="check")
    op.drop_constraint(op.f("fk_trade_fee_waiver_id_fee_waiver"), "trade", type_="foreignkey")
    op.drop_column("trade", "fee_waiver_id")
    op.drop_column("trade", "fee_before_waiver")
    op.drop_index("ix_fee_waiver_venue", table_name="fee_waiver")
    op.drop_table("fee_waiver")

"""Listings on venues (one live per product and venue) and their append-only events.

Revision ID: 0fe3bb42c5c9
Revises: e11eb7ccae80
Create Date: 2026-11-24 03:20:17.138100
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0fe3bb42c5c9"
down_revision: str | None = "e11eb7ccae80"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listing",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("venue_code", sa.String(length=16), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("price_model", sa.String(length=16), nullable=False),
        sa.Column("price_amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("price_unit", sa.String(length=8), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("trial_terms", sa.Text(), nullable=True),
        sa.Column("licence", sa.Text(), nullable=True),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "price_model IN ('one_time', 'subscription', 'per_call', 'per_row', 'negotiable')",
            name=op.f("ck_listing_price_model_known"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'listed', 'suspended', 'delisted', 'rejected')",
            name=op.f("ck_listing_status_known"),
        ),
        sa.CheckConstraint(
            "price_amount IS NULL OR price_amount > 0", name=op.f("ck_listing_price_positive")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_listing_merchant_id_merchant"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_listing_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["venue_code"],
            ["venue.code"],
            name=op.f("fk_listing_venue_code_venue"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing")),
    )
    op.create_index(op.f("ix_listing_merchant_id"), "listing", ["merchant_id"], unique=False)
    op.create_index(
        "ix_listing_status_venue", "listing", ["status", "venue_code", "product_id"], unique=False
    )
    op.create_index(
        "uq_listing_live_product_venue",
        "listing",
        ["product_id", "venue_code"],
        unique=True,
        postgresql_where=sa.text("status IN ('draft', 'submitted', 'listed', 'suspended')"),
    )
    op.create_table(
        "listing_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("actor_key_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listing.id"],
            name=op.f("fk_listing_event_listing_id_listing"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_event")),
    )
    op.create_index(
        "ix_listing_event_listing_id", "listing_event", ["listing_id", "id"], unique=False
    )
    op.execute("""
        CREATE FUNCTION listing_event_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'listing_event is immutable' USING ERRCODE = 'insufficient_privilege';
        END $$;
    """)
    op.execute("""
        CREATE TRIGGER listing_event_immutable BEFORE UPDATE OR DELETE ON listing_event
        FOR EACH ROW EXECUTE FUNCTION listing_event_immutable();
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER listing_event_immutable ON listing_event")
    op.execute("DROP FUNCTION listing_event_immutable()")
    op.drop_index("ix_listing_event_listing_id", table_name="listing_event")
    op.drop_table("listing_event")
    op.drop_index(
        "uq_listing_live_product_venue",
        table_name="listing",
        postgresql_where=sa.text("status IN ('draft', 'submitted', 'listed', 'suspended')"),
    )
    op.drop_index("ix_listing_status_venue", table_name="listing")
    op.drop_index(op.f("ix_listing_merchant_id"), table_name="listing")
    op.drop_table("listing")

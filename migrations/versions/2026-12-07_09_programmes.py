"""Incentive programmes (激励计划) and the claims on them (申报).

A programme rewards merchants' firsts (DOMAIN.md "Firsts, programmes and fees") within
regions, a window and tiers, under a budget and a cap per merchant; a claim is one merchant's
on one first, once per programme, with the evidence it was made on.

Revision ID: 20261207_09
Revises: 20261207_06
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261207_09"
down_revision: str | None = "20261207_06"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programme",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("region_codes", postgresql.ARRAY(sa.String(length=6)), nullable=False),
        sa.Column("firsts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("tiers", postgresql.ARRAY(sa.String(length=16)), nullable=True),
        sa.Column("cap_per_merchant", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("budget", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("created_by_key_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("starts_on <= ends_on", name=op.f("ck_programme_window_order")),
        sa.CheckConstraint(
            "budget > 0 AND cap_per_merchant > 0", name=op.f("ck_programme_amounts_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
        sa.UniqueConstraint("code", name=op.f("uq_programme_code")),
    )
    op.create_table(
        "programme_claim",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("first_kind", sa.String(length=16), nullable=False),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by_key_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "state IN ('applied', 'approved', 'rejected', 'paid')",
            name=op.f("ck_programme_claim_state_known"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_programme_claim_amount_positive")),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_programme_claim_programme_id_programme"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_programme_claim_merchant_id_merchant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_claim")),
        sa.UniqueConstraint(
            "programme_id",
            "merchant_id",
            "first_kind",
            name=op.f("uq_programme_claim_programme_id"),
        ),
    )
    op.create_index(op.f("ix_programme_claim_merchant_id"), "programme_claim", ["merchant_id"])


def downgrade() -> None:
    op.drop_table("programme_claim")
    op.drop_table("programme")

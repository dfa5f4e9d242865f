"""Contract negotiations (DSP states), their steps and agreements.

`negotiation` holds each negotiation between a buyer (the consumer) and a listing's
merchant (the provider) with its state and the ODRL offer in force; `negotiation_step`
every step, each a leaf of the listing's venue log; `agreement` the agreement a negotiation
reached at AGREED: its RFC 8785 canonical document, SHA-256 and the venue's signed note
(DOMAIN.md "Contracts and delivery").

Revision ID: 20261207_11
Revises: 20261207_10
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261207_11"
down_revision: str | None = "20261207_10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "('REQUESTED', 'OFFERED', 'ACCEPTED', 'AGREED', 'VERIFIED', 'FINALIZED', 'TERMINATED')"


def _parties(table: str) -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            [column],
            ["merchant.id"],
            name=op.f(f"fk_{table}_{column}_merchant"),
            ondelete="RESTRICT",
        )
        for column in ("consumer_merchant_id", "provider_merchant_id")
    ]


def upgrade() -> None:
    op.create_table(
        "negotiation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("venue_code", sa.String(length=16), nullable=False),
        sa.Column("consumer_merchant_id", sa.Uuid(), nullable=False),
        sa.Column("provider_merchant_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("offer", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"state IN {STATES}", name=op.f("ck_negotiation_state_known")),
        sa.CheckConstraint(
            "consumer_merchant_id <> provider_merchant_id",
            name=op.f("ck_negotiation_two_parties"),
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listing.id"],
            name=op.f("fk_negotiation_listing_id_listing"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["venue_code"],
            ["venue.code"],
            name=op.f("fk_negotiation_venue_code_venue"),
            ondelete="RESTRICT",
        ),
        *_parties("negotiation"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_negotiation")),
    )
    op.create_index(
        "ix_negotiation_consumer", "negotiation", ["consumer_merchant_id", "id"], unique=False
    )
    op.create_index(
        "ix_negotiation_provider", "negotiation", ["provider_merchant_id", "id"], unique=False
    )
    op.create_table(
        "negotiation_step",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("negotiation_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("offer", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("agreement_sha256", sa.String(length=64), nullable=True),
        sa.Column("recorded_by_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_role", sa.String(length=16), nullable=False),
        sa.Column("leaf_index", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["negotiation_id"],
            ["negotiation.id"],
            name=op.f("fk_negotiation_step_negotiation_id_negotiation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_negotiation_step")),
    )
    op.create_index(
        "ix_negotiation_step_negotiation",
        "negotiation_step",
        ["negotiation_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "agreement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("negotiation_id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("consumer_merchant_id", sa.Uuid(), nullable=False),
        sa.Column("provider_merchant_id", sa.Uuid(), nullable=False),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("trade_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["negotiation_id"],
            ["negotiation.id"],
            name=op.f("fk_agreement_negotiation_id_negotiation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listing.id"],
            name=op.f("fk_agreement_listing_id_listing"),
            ondelete="RESTRICT",
        ),
        *_parties("agreement"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement")),
        sa.UniqueConstraint("negotiation_id", name=op.f("uq_agreement_negotiation_id")),
        sa.UniqueConstraint("sha256", name=op.f("uq_agreement_sha256")),
    )


def downgrade() -> None:
    op.drop_table("agreement")
    op.drop_index("ix_negotiation_step_negotiation", table_name="negotiation_step")
    op.drop_table("negotiation_step")
    op.drop_index("ix_negotiation_provider", table_name="negotiation")
    op.drop_index("ix_negotiation_consumer", table_name="negotiation")
    op.drop_table("negotiation")

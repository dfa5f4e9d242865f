"""Immutable assessment results, and versioned venue negative lists (each version kept).

Revision ID: e11eb7ccae80
Revises: e6b1a5f407db
Create Date: 2026-11-24 02:58:42.327386
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e11eb7ccae80"
down_revision: str | None = "e6b1a5f407db"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "venue_negative_list",
        sa.Column("venue_code", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by_key_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_code"],
            ["venue.code"],
            name=op.f("fk_venue_negative_list_venue_code_venue"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("venue_code", "version", name=op.f("pk_venue_negative_list")),
    )
    op.create_table(
        "assessment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("product_revision", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Uuid(), nullable=True),
        sa.Column("sample_sha256", sa.String(length=64), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=True),
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        sa.Column("self_check", sa.Boolean(), nullable=False),
        sa.Column("actor_key_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("actor_merchant_id", sa.Uuid(), nullable=True),
        sa.Column("inputs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("overall", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("quality_coefficient", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("compliance_result", sa.String(length=16), nullable=True),
        sa.Column("venue_results", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("value", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('quality', 'compliance', 'valuation')", name=op.f("ck_assessment_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_assessment_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["product_sample.id"],
            name=op.f("fk_assessment_sample_id_product_sample"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
    )
    op.create_index(
        "ix_assessment_product_kind", "assessment", ["product_id", "kind", "id"], unique=False
    )
    op.add_column(
        "venue",
        sa.Column("negative_list_version", sa.Integer(), server_default="1", nullable=False),
    )
    # Each venue's list as it stands is its version 1.
    op.execute(
        "INSERT INTO venue_negative_list (venue_code, version, rules, created_at) "
        "SELECT code, 1, negative_list, created_at FROM venue"
    )

    # Results and past versions are records: the database refuses to change or delete them.
    for table in ("assessment", "venue_negative_list"):
        op.execute(f"""
            CREATE FUNCTION {table}_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{table} is immutable' USING ERRCODE = 'insufficient_privilege';
            END $$;
        """)
        op.execute(f"""
            CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_immutable();
        """)


def downgrade() -> None:
    for table in ("assessment", "venue_negative_list"):
        op.execute(f"DROP TRIGGER {table}_immutable ON {table}")
        op.execute(f"DROP FUNCTION {table}_immutable()")
    op.drop_column("venue", "negative_list_version")
    op.drop_index("ix_assessment_product_kind", table_name="assessment")
    op.drop_table("assessment")
    op.drop_table("venue_negative_list")

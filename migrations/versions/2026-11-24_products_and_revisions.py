"""Data products and their immutable, numbered revisions.

Revision ID: b14fb8fea8a1
Revises: 989a0d39a700
Create Date: 2026-11-24 02:32:21.330796
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b14fb8fea8a1"
down_revision: str | None = "989a0d39a700"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "product",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("product_type", sa.String(length=32), nullable=False),
        sa.Column("domains", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("data_sources", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column("classification_level", sa.SmallInteger(), nullable=True),
        sa.Column("contains_personal_info", sa.Boolean(), nullable=False),
        sa.Column("sensitive_personal_info", sa.Boolean(), nullable=False),
        sa.Column("personal_info_basis", sa.String(length=32), nullable=True),
        sa.Column("persons_count", sa.BigInteger(), nullable=True),
        sa.Column("cross_border", sa.Boolean(), nullable=False),
        sa.Column("cross_border_assessment_ref", sa.String(length=200), nullable=True),
        sa.Column("update_frequency", sa.String(length=16), nullable=True),
        sa.Column("coverage_start", sa.Date(), nullable=True),
        sa.Column("coverage_end", sa.Date(), nullable=True),
        sa.Column("delivery_modes", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.String(length=50)), nullable=False),
        sa.Column("schema", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("service_level", sa.String(length=500), nullable=True),
        sa.Column("data_as_of", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("search_name", postgresql.TSVECTOR(), nullable=False),
        sa.Column("search_words", postgresql.TSVECTOR(), nullable=False),
        sa.Column("search_pairs", postgresql.TSVECTOR(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(classification = 'general') OR classification_level IS NULL",
            name=op.f("ck_product_level_only_for_general"),
        ),
        sa.CheckConstraint(
            "classification IN ('general', 'important', 'core')",
            name=op.f("ck_product_classification_known"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'retired')", name=op.f("ck_product_status_known")
        ),
        sa.CheckConstraint(
            "persons_count IS NULL OR persons_count >= 0",
            name=op.f("ck_product_persons_count_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_product_merchant_id_merchant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
    )
    op.create_index(
        "ix_product_domains", "product", ["domains"], unique=False, postgresql_using="gin"
    )
    op.create_index("ix_product_merchant_id", "product", ["merchant_id", "id"], unique=False)
    for column in ("search_name", "search_words", "search_pairs"):
        op.create_index(f"ix_product_{column}", "product", [column], postgresql_using="gin")
        # Many distinct lexemes: keep statistics on more of them, for honest row estimates.
        op.execute(f"ALTER TABLE product ALTER COLUMN {column} SET STATISTICS 1000")
    op.create_index("ix_product_updated_at", "product", ["updated_at"], unique=False)
    op.create_table(
        "product_revision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("actor_key_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_product_revision_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_revision")),
        sa.UniqueConstraint("product_id", "number", name="uq_product_revision_number"),
    )
    # A revision is a record of the past: the database refuses to change or delete one.
    op.execute("""
        CREATE FUNCTION product_revision_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'product_revision is immutable' USING ERRCODE = 'insufficient_privilege';
        END $$;
    """)
    op.execute("""
        CREATE TRIGGER product_revision_immutable BEFORE UPDATE OR DELETE ON product_revision
        FOR EACH ROW EXECUTE FUNCTION product_revision_immutable();
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER product_revision_immutable ON product_revision")
    op.execute("DROP FUNCTION product_revision_immutable()")
    op.drop_table("product_revision")
    op.drop_index("ix_product_updated_at", table_name="product")
    for column in ("search_pairs", "search_words", "search_name"):
        op.drop_index(f"ix_product_{column}", table_name="product", postgresql_using="gin")
    op.drop_index("ix_product_merchant_id", table_name="product")
    op.drop_index("ix_product_domains", table_name="product", postgresql_using="gin")
    op.drop_table("product")

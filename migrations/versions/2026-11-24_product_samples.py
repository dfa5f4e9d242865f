"""Product samples: their profile, and their bytes in 1 MiB chunks.

Revision ID: e6b1a5f407db
Revises: b14fb8fea8a1
Create Date: 2026-11-24 02:35:33.875609
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e6b1a5f407db"
down_revision: str | None = "b14fb8fea8a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "product_sample",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("product_revision", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=True),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("columns", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("uploaded_by_key_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_product_sample_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_sample")),
    )
    op.create_index(
        "ix_product_sample_product_id", "product_sample", ["product_id", "id"], unique=False
    )
    op.create_table(
        "sample_chunk",
        sa.Column("sample_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["product_sample.id"],
            name=op.f("fk_sample_chunk_sample_id_product_sample"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sample_id", "seq", name=op.f("pk_sample_chunk")),
    )


def downgrade() -> None:
    op.drop_table("sample_chunk")
    op.drop_index("ix_product_sample_product_id", table_name="product_sample")
    op.drop_table("product_sample")

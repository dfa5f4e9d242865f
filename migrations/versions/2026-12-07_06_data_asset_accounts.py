"""A merchant's chart of accounts for the data-asset journal.

One row per default code the merchant maps (DOMAIN.md "Books a CPA signs → Journal"): the
merchant's own code and name for it. Codes not mapped keep their defaults, so a merchant
with no row writes its vouchers on the default chart.

Revision ID: 20261207_06
Revises: 20261207_05
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_06"
down_revision: str | None = "20261207_05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_asset_account",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("default_code", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_data_asset_account_merchant_id_merchant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("merchant_id", "default_code", name=op.f("pk_data_asset_account")),
    )


def downgrade() -> None:
    op.drop_table("data_asset_account")

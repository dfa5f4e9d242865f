"""The catalog's orders (`GET /v1/catalog`): partial indexes over `listed` listings.

- `ix_listing_listed_newest` (`listed_at`, `id`): newest first (the default order, and the
  order within each relevance tier);
- `ix_listing_listed_price` (`price_amount`, `id`): by price, either way (the negotiable
  listings, with no amount, come after the priced ones and are read on their own).

A page is then an index scan that stops after the page, however many listings are listed.

Revision ID: 20261129_03
Revises: 20261129_02
Create Date: 2026-11-29 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261129_03"
down_revision: str | None = "20261129_02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_listing_listed_newest",
        "listing",
        ["listed_at", "id"],
        postgresql_where=sa.text("status = 'listed'"),
    )
    op.create_index(
        "ix_listing_listed_price",
        "listing",
        ["price_amount", "id"],
        postgresql_where=sa.text("status = 'listed'"),
    )


def downgrade() -> None:
    op.drop_index("ix_listing_listed_price", table_name="listing")
    op.drop_index("ix_listing_listed_newest", table_name="listing")

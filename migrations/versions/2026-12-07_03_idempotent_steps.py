"""Idempotency records for every step that changes money or title, not only trades.

A step's first answer (app/web/idempotency.py) is replayed byte for byte, its ETag and Location
with it: `response_content` keeps the exact body and `response_headers` the headers a
client reads. A trade's record keeps its JSON body in `response_body` as before; one of the
two is always there.

Revision ID: 20261207_03
Revises: 20261207_02
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261207_03"
down_revision: str | None = "20261207_02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("idempotency_record", sa.Column("response_content", sa.LargeBinary()))
    op.add_column(
        "idempotency_record", sa.Column("response_headers", postgresql.JSONB(astext_type=sa.Text()))
    )
    op.alter_column("idempotency_record", "response_body", nullable=True)
    op.create_check_constraint(
        op.f("ck_idempotency_record_response_kept"),
        "idempotency_record",
        "response_body IS NOT NULL OR response_content IS NOT NULL",
    )


def downgrade() -> None:
    # Steps' records cannot be kept in the old shape; their retries would do the step again,
    # as they did before this revision.
    op.execute("DELETE FROM idempotency_record WHERE response_body IS NULL")
    op.drop_constraint(
        op.f("ck_idempotency_record_response_kept"), "idempotency_record", type_="check"
    )
    op.alter_column("idempotency_record", "response_body", nullable=False)
    op.drop_column("idempotency_record", "response_headers")
    op.drop_column("idempotency_record", "response_content")

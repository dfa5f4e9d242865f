"""Large off-venue trades wait for an operator: who confirmed a trade, as what.

- `trade_event.recorded_by_role`: the role of the key that appended the event, as it was
  then. A large off-venue trade (above `SHUSHANG_LARGE_TRADE_AMOUNT`) counts only once an
  operator confirmed it, so the `confirmed` event must say whether an operator appended it.
  Kept on the event rather than looked up through `api_key` on each read: the `shushang`
  commands act with a key id that has no `api_key` row, and a fact of the trade's record
  should not depend on another table. Existing events are backfilled from their key (the
  command line's key, `00000000-…`, acts as an operator); an event whose key is unknown
  stays NULL, which is never an operator's.

The trade_event table refuses updates (its record never changes); the backfill fills in a
fact the row always implied, so the guard is lifted for it alone.

Revision ID: 20261207_01
Revises: 20261130_02
Create Date: 2026-12-07 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_01"
down_revision: str | None = "20261130_02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("trade_event", sa.Column("recorded_by_role", sa.String(16), nullable=True))
    op.create_check_constraint(
        op.f("ck_trade_event_recorded_by_role_known"),
        "trade_event",
        "recorded_by_role IN ('operator', 'merchant', 'assessor', 'auditor')",
    )
    op.execute("ALTER TABLE trade_event DISABLE TRIGGER trade_event_immutable")
    op.execute(
        """
        UPDATE trade_event e SET recorded_by_role = k.role
        FROM api_key k WHERE k.id = e.recorded_by_key_id
        """
    )
    op.execute(
        """
        UPDATE trade_event SET recorded_by_role = 'operator'
        WHERE recorded_by_key_id = '00000000-0000-0000-0000-000000000000'
        """
    )
    op.execute("ALTER TABLE trade_event ENABLE TRIGGER trade_event_immutable")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_trade_event_recorded_by_role_known"), "trade_event", type_="check")
    op.drop_column("trade_event", "recorded_by_role")

"""Rules under hostile use: who reported an off-venue trade (and its `confirmed` event), the
pledgee's merchant on a pledge, and refused writes in the audit trail.

- `trade.reported_by_merchant_id`: the merchant whose key reported an off-venue trade; such a
  trade is unconfirmed until the counterparty or an operator appends `confirmed`. NULL for
  trades an operator recorded (confirmed by the recording itself). Existing off-venue trades
  recorded by merchant keys are backfilled: they were never confirmed by anyone.
- `trade_event.type` admits `confirmed`.
- `ip_pledge.pledgee_merchant_id`: the pledgee, when it is a merchant of the exchange; its
  merchant key may release the pledge.
- `audit_event.outcome`: `succeeded` (the change happened) or `refused` (401/403/409 on a
  mutating request: the attempt, its actor and the reason).

Revision ID: 20261129_01
Revises: 8315452de0f6
Create Date: 2026-11-29 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261129_01"
down_revision: str | None = "8315452de0f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("trade", sa.Column("reported_by_merchant_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_trade_reported_by_merchant_id_merchant"),
        "trade",
        "merchant",
        ["reported_by_merchant_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    # The trade table refuses updates (a trade's record never changes); this backfill fills
    # in a fact the row always implied, so the guard is lifted for it alone.
    op.execute("ALTER TABLE trade DISABLE TRIGGER trade_immutable")
    op.execute(
        """
        UPDATE trade t SET reported_by_merchant_id = k.merchant_id
        FROM api_key k
        WHERE k.id = t.recorded_by_key_id AND k.role = 'merchant' AND NOT t.on_venue
        """
    )
    op.execute("ALTER TABLE trade ENABLE TRIGGER trade_immutable")
    op.create_index(
        "ix_trade_event_confirmed",
        "trade_event",
        ["trade_id"],
        unique=False,
        postgresql_where=sa.text("type = 'confirmed'"),
    )
    op.drop_constraint(op.f("ck_trade_event_type_known"), "trade_event", type_="check")
    op.create_check_constraint(
        op.f("ck_trade_event_type_known"),
        "trade_event",
        "type IN ('confirmed', 'delivered', 'settled', 'disputed', 'refunded', 'cancelled')",
    )

    op.add_column("ip_pledge", sa.Column("pledgee_merchant_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_ip_pledge_pledgee_merchant_id_merchant"),
        "ip_pledge",
        "merchant",
        ["pledgee_merchant_id"],
        ["id"],
        ondelete="RESTRICT",
    )

    op.add_column(
        "audit_event",
        sa.Column("outcome", sa.String(length=16), nullable=False, server_default="succeeded"),
    )
    op.create_check_constraint(
        op.f("ck_audit_event_outcome_known"), "audit_event", "outcome IN ('succeeded', 'refused')"
    )
    op.create_index(
        "ix_audit_event_refused",
        "audit_event",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("outcome = 'refused'"),
    )


def downgrade() -> None:
    op.drop_index("ix_audit_event_refused", table_name="audit_event")
    op.drop_constraint(op.f("ck_audit_event_outcome_known"), "audit_event", type_="check")
    op.drop_column("audit_event", "outcome")
    op.drop_constraint(
        op.f("fk_ip_pledge_pledgee_merchant_id_merchant"), "ip_pledge", type_="foreignkey"
    )
    op.drop_column("ip_pledge", "pledgee_merchant_id")
    op.drop_constraint(op.f("ck_trade_event_type_known"), "trade_event", type_="check")
    op.create_check_constraint(
        op.f("ck_trade_event_type_known"),
        "trade_event",
        "type IN ('delivered', 'settled', 'disputed', 'refunded', 'cancelled')",
    )
    op.drop_index("ix_trade_event_confirmed", table_name="trade_event")
    op.drop_constraint(
        op.f("fk_trade_reported_by_merchant_id_merchant"), "trade", type_="foreignkey"
    )
    op.drop_column("trade", "reported_by_merchant_id")

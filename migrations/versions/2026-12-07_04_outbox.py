"""The outbox's table is `outbox_event`, as its package and model are named (issue 28).

`event` named one of three kinds of events (with `listing_event` and `trade_event`); the
rows are the outbox's, so the table, its key, indexes, append-only trigger and the
deliveries' foreign key take its name. Renames only: no row is rewritten, and the locks are
held for an instant. The append-only function is made anew, to name the table it guards.

Revision ID: 20261207_04
Revises: 20261207_03
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261207_04"
down_revision: str | None = "20261207_03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = ("created_at", "merchant_ids", "type")


def _rename(old: str, new: str) -> None:
    op.rename_table(old, new)
    op.execute(f"ALTER TABLE {new} RENAME CONSTRAINT pk_{old} TO pk_{new}")
    for column in INDEXES:
        op.execute(f"ALTER INDEX ix_{old}_{column} RENAME TO ix_{new}_{column}")
    op.execute(
        f"ALTER TABLE webhook_delivery RENAME CONSTRAINT fk_webhook_delivery_event_id_{old}"
        f" TO fk_webhook_delivery_event_id_{new}"
    )
    op.execute(f"DROP TRIGGER {old}_immutable ON {new}")
    op.execute(f"DROP FUNCTION {old}_immutable()")
    op.execute(f"""
        CREATE FUNCTION {new}_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{new} is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$;
    """)
    op.execute(f"""
        CREATE TRIGGER {new}_immutable BEFORE UPDATE OR DELETE ON {new}
        FOR EACH ROW EXECUTE FUNCTION {new}_immutable();
    """)


def upgrade() -> None:
    _rename("event", "outbox_event")


def downgrade() -> None:
    _rename("outbox_event", "event")

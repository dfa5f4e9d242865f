"""C2SP checkpoints: each log's latest signed checkpoint, and witness cosignatures.

- `ledger_checkpoint`: one row per log, the latest checkpoint the log signed (re-signed at
  least every `SHUSHANG_CHECKPOINT_INTERVAL_SECONDS`, growing or not, so a stale one shows
  its age): size, root, timestamp, the signed note, and the JSON head's signature.
  `ledger_tree_head` (append-only) still keeps the first head of every size.
- `ledger_cosignature`: witnesses' cosignatures on a checkpoint of a given size and origin,
  appended to the checkpoint when it is served.

Revision ID: 20261129_04
Revises: 20261129_03
Create Date: 2026-11-29 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261129_04"
down_revision: str | None = "20261129_03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_checkpoint",
        sa.Column("venue_code", sa.String(length=16), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["ledger_signing_key.key_id"],
            name=op.f("fk_ledger_checkpoint_key_id_ledger_signing_key"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("venue_code", name=op.f("pk_ledger_checkpoint")),
    )
    op.create_table(
        "ledger_cosignature",
        sa.Column("venue_code", sa.String(length=16), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("key_name", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.LargeBinary(length=4), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "venue_code", "tree_size", "key_name", "key_hash", name=op.f("pk_ledger_cosignature")
        ),
    )


def downgrade() -> None:
    op.drop_table("ledger_cosignature")
    op.drop_table("ledger_checkpoint")

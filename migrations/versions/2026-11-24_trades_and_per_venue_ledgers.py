"""Trades and their events, idempotency records, and the per-venue Merkle ledgers.

Nothing here is ever updated or deleted: triggers refuse it (the ledger head, a counter,
only grows).

Revision ID: 3deb4c6b4369
Revises: 0fe3bb42c5c9
Create Date: 2026-11-24 03:26:25.203867
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3deb4c6b4369"
down_revision: str | None = "0fe3bb42c5c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_record",
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=False),
        sa.Column("response_body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("api_key_id", "key", name=op.f("pk_idempotency_record")),
    )
    op.create_table(
        "ledger_signing_key",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_ledger_signing_key")),
    )
    op.create_table(
        "ledger_entry",
        sa.Column("venue_code", sa.String(length=16), nullable=False),
        sa.Column("index", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Uuid(), nullable=False),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_code"],
            ["venue.code"],
            name=op.f("fk_ledger_entry_venue_code_venue"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("venue_code", "index", name=op.f("pk_ledger_entry")),
    )
    op.create_index(op.f("ix_ledger_entry_ref_id"), "ledger_entry", ["ref_id"], unique=False)
    op.create_table(
        "ledger_head",
        sa.Column("venue_code", sa.String(length=16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_code"],
            ["venue.code"],
            name=op.f("fk_ledger_head_venue_code_venue"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("venue_code", name=op.f("pk_ledger_head")),
    )
    op.create_table(
        "ledger_node",
        sa.Column("venue_code", sa.String(length=16), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("index", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_code"],
            ["venue.code"],
            name=op.f("fk_ledger_node_venue_code_venue"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("venue_code", "level", "index", name=op.f("pk_ledger_node")),
    )
    op.create_table(
        "ledger_tree_head",
        sa.Column("venue_code", sa.String(length=16), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["ledger_signing_key.key_id"],
            name=op.f("fk_ledger_tree_head_key_id_ledger_signing_key"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["venue_code"],
            ["venue.code"],
            name=op.f("fk_ledger_tree_head_venue_code_venue"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("venue_code", "tree_size", name=op.f("pk_ledger_tree_head")),
    )
    op.create_table(
        "trade",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("venue_code", sa.String(length=16), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=True),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("seller_merchant_id", sa.Uuid(), nullable=False),
        sa.Column("buyer_merchant_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("fee", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quantity", sa.String(length=100), nullable=True),
        sa.Column("term", sa.String(length=100), nullable=True),
        sa.Column("on_venue", sa.Boolean(), nullable=False),
        sa.Column("contract_digest", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("recorded_by_key_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount > 0 AND amount <= 1000000000000", name=op.f("ck_trade_amount_range")
        ),
        sa.CheckConstraint(
            "buyer_merchant_id <> seller_merchant_id", name=op.f("ck_trade_two_parties")
        ),
        sa.ForeignKeyConstraint(
            ["buyer_merchant_id"],
            ["merchant.id"],
            name=op.f("fk_trade_buyer_merchant_id_merchant"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listing.id"],
            name=op.f("fk_trade_listing_id_listing"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_trade_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["seller_merchant_id"],
            ["merchant.id"],
            name=op.f("fk_trade_seller_merchant_id_merchant"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["venue_code"],
            ["venue.code"],
            name=op.f("fk_trade_venue_code_venue"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade")),
    )
    op.create_index("ix_trade_buyer", "trade", ["buyer_merchant_id", "id"], unique=False)
    op.create_index("ix_trade_product", "trade", ["product_id", "id"], unique=False)
    op.create_index("ix_trade_seller", "trade", ["seller_merchant_id", "id"], unique=False)
    op.create_index(
        "ix_trade_venue_occurred", "trade", ["venue_code", "occurred_at", "id"], unique=False
    )
    op.create_table(
        "trade_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("trade_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("recorded_by_key_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('delivered', 'settled', 'disputed', 'refunded', 'cancelled')",
            name=op.f("ck_trade_event_type_known"),
        ),
        sa.ForeignKeyConstraint(
            ["trade_id"],
            ["trade.id"],
            name=op.f("fk_trade_event_trade_id_trade"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_event")),
    )
    op.create_index("ix_trade_event_trade_id", "trade_event", ["trade_id", "id"], unique=False)

    for table in ("trade", "trade_event", "ledger_entry", "ledger_node", "ledger_tree_head"):
        op.execute(f"""
            CREATE FUNCTION {table}_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{table} is append-only' USING ERRCODE = 'insufficient_privilege';
            END $$;
        """)
        op.execute(f"""
            CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_immutable();
        """)
    op.execute("""
        CREATE FUNCTION ledger_head_only_grows() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' OR NEW.size < OLD.size THEN
                RAISE EXCEPTION 'ledger_head only grows' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$;
    """)
    op.execute("""
        CREATE TRIGGER ledger_head_only_grows BEFORE UPDATE OR DELETE ON ledger_head
        FOR EACH ROW EXECUTE FUNCTION ledger_head_only_grows();
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER ledger_head_only_grows ON ledger_head")
    op.execute("DROP FUNCTION ledger_head_only_grows()")
    for table in ("trade", "trade_event", "ledger_entry", "ledger_node", "ledger_tree_head"):
        op.execute(f"DROP TRIGGER {table}_immutable ON {table}")
        op.execute(f"DROP FUNCTION {table}_immutable()")
    op.drop_index("ix_trade_event_trade_id", table_name="trade_event")
    op.drop_table("trade_event")
    op.drop_index("ix_trade_venue_occurred", table_name="trade")
    op.drop_index("ix_trade_seller", table_name="trade")
    op.drop_index("ix_trade_product", table_name="trade")
    op.drop_index("ix_trade_buyer", table_name="trade")
    op.drop_table("trade")
    op.drop_table("ledger_tree_head")
    op.drop_table("ledger_node")
    op.drop_table("ledger_head")
    op.drop_index(op.f("ix_ledger_entry_ref_id"), table_name="ledger_entry")
    op.drop_table("ledger_entry")
    op.drop_table("ledger_signing_key")
    op.drop_table("idempotency_record")

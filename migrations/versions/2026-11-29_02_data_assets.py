"""The data-asset register (数据资产入表): assets, cost items and movements.

`data_asset` holds what may change (name, description, product, status, version).
`data_asset_cost_item` and `data_asset_movement` are append-only, like `ip_step` (triggers
refuse UPDATE and DELETE): each row is a leaf of the `FIN` log, and carries the asset's
merchant, class and source so that its leaf can be rebuilt from the row alone. A movement's
`sequence` is unique per asset (the order they were taken).

Revision ID: 20261129_02
Revises: 20261129_01
Create Date: 2026-11-29 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261129_02"
down_revision: str | None = "20261129_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLASS_AND_SOURCE = (
    "(asset_class = 'intangible' AND source IN ('purchased', 'developed', 'other'))"
    " OR (asset_class = 'inventory' AND source IN ('purchased', 'processed', 'other'))"
)
APPEND_ONLY = ("data_asset_cost_item", "data_asset_movement")


def _fk(table: str, column: str, referred: str, key: str = "id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{referred}.{key}"],
        name=op.f(f"fk_{table}_{column}_{referred}"),
        ondelete="RESTRICT",
    )


def upgrade() -> None:
    op.create_table(
        "data_asset",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=4000), nullable=True),
        sa.Column("asset_class", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(CLASS_AND_SOURCE, name=op.f("ck_data_asset_class_and_source_known")),
        sa.CheckConstraint(
            "status IN ('open', 'in_development', 'capitalised', 'held', 'disposed', 'derecognised')",
            name=op.f("ck_data_asset_status_known"),
        ),
        _fk("data_asset", "merchant_id", "merchant"),
        _fk("data_asset", "product_id", "product"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_asset")),
    )
    op.create_index("ix_data_asset_merchant", "data_asset", ["merchant_id", "id"], unique=False)

    op.create_table(
        "data_asset_cost_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("asset_class", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("incurred_on", sa.Date(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("trade_id", sa.Uuid(), nullable=True),
        sa.Column("assessment_id", sa.Uuid(), nullable=True),
        sa.Column("certificate_number", sa.String(length=17), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("actor_key_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('purchase_price', 'taxes', 'processing', 'rights_verification', "
            "'quality_assessment', 'registration_settlement', 'security', 'labour', 'compute', "
            "'other')",
            name=op.f("ck_data_asset_cost_item_kind_known"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_data_asset_cost_item_amount_positive")),
        sa.CheckConstraint(
            "phase IN ('research', 'development')", name=op.f("ck_data_asset_cost_item_phase_known")
        ),
        sa.CheckConstraint(
            CLASS_AND_SOURCE, name=op.f("ck_data_asset_cost_item_class_and_source_known")
        ),
        _fk("data_asset_cost_item", "asset_id", "data_asset"),
        _fk("data_asset_cost_item", "merchant_id", "merchant"),
        _fk("data_asset_cost_item", "trade_id", "trade"),
        _fk("data_asset_cost_item", "assessment_id", "assessment"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_asset_cost_item")),
    )
    op.create_index(
        "ix_data_asset_cost_item_asset", "data_asset_cost_item", ["asset_id", "id"], unique=False
    )
    op.create_index(
        "ix_data_asset_cost_item_trade",
        "data_asset_cost_item",
        ["trade_id"],
        unique=False,
        postgresql_where=sa.text("trade_id IS NOT NULL"),
    )

    op.create_table(
        "data_asset_movement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("asset_class", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("effects", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("actor_key_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('capitalise', 'dispose', 'derecognise', 'impair', 'write_down', "
            "'reverse_write_down')",
            name=op.f("ck_data_asset_movement_type_known"),
        ),
        sa.CheckConstraint(
            CLASS_AND_SOURCE, name=op.f("ck_data_asset_movement_class_and_source_known")
        ),
        _fk("data_asset_movement", "asset_id", "data_asset"),
        _fk("data_asset_movement", "merchant_id", "merchant"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_asset_movement")),
        sa.UniqueConstraint("asset_id", "sequence", name="uq_data_asset_movement_sequence"),
    )

    for table in APPEND_ONLY:
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


def downgrade() -> None:
    for table in reversed(APPEND_ONLY):
        op.execute(f"DROP TRIGGER {table}_immutable ON {table}")
        op.execute(f"DROP FUNCTION {table}_immutable()")
    op.drop_table("data_asset_movement")
    op.drop_index("ix_data_asset_cost_item_trade", table_name="data_asset_cost_item")
    op.drop_index("ix_data_asset_cost_item_asset", table_name="data_asset_cost_item")
    op.drop_table("data_asset_cost_item")
    op.drop_index("ix_data_asset_merchant", table_name="data_asset")
    op.drop_table("data_asset")

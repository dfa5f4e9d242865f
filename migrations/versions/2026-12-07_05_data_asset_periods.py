"""Data assets a CPA signs: closed periods, restatements and evidence (DOMAIN.md "Books a
CPA signs").

`data_asset_period_close` holds a merchant's closes (append-only, like the register's
records); `data_asset_restatement` the corrections of prior-period errors dated in closed
months (pending → applied | rejected). Cost items and movements name the restatement that
recorded them; movements gain `cost_adjustment`; cost items gain an invoice and whether their
VAT is deductible; an asset gains `development_started_on`.

Revision ID: 20261207_05
Revises: 20261207_04
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261207_05"
down_revision: str | None = "20261207_04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_TYPES = (
    "type IN ('capitalise', 'dispose', 'derecognise', 'impair', 'write_down', 'reverse_write_down')"
)
NEW_TYPES = (
    "type IN ('capitalise', 'dispose', 'derecognise', 'impair', 'write_down', "
    "'reverse_write_down', 'cost_adjustment')"
)


def upgrade() -> None:
    op.create_table(
        "data_asset_period_close",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("through", sa.Date(), nullable=False),
        sa.Column("report_sha256", sa.String(length=64), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("actor_key_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "EXTRACT(DAY FROM through) = 1",
            name=op.f("ck_data_asset_period_close_through_first_day"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_data_asset_period_close_merchant_id_merchant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_asset_period_close")),
        sa.UniqueConstraint("merchant_id", "through", name="uq_data_asset_period_close_through"),
    )
    op.execute("""
        CREATE FUNCTION data_asset_period_close_immutable() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'data_asset_period_close is append-only'
                USING ERRCODE = 'insufficient_privilege';
        END $$;
    """)
    op.execute("""
        CREATE TRIGGER data_asset_period_close_immutable
        BEFORE UPDATE OR DELETE ON data_asset_period_close
        FOR EACH ROW EXECUTE FUNCTION data_asset_period_close_immutable();
    """)

    op.create_table(
        "data_asset_restatement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("entry", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by_key_id", sa.Uuid(), nullable=True),
        sa.Column("requested_by_role", sa.String(length=16), nullable=False),
        sa.Column("decided_by_key_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=2000), nullable=True),
        sa.Column("record_type", sa.String(length=16), nullable=True),
        sa.Column("record_id", sa.Uuid(), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'applied', 'rejected')",
            name=op.f("ck_data_asset_restatement_state_known"),
        ),
        sa.CheckConstraint(
            "EXTRACT(DAY FROM period) = 1",
            name=op.f("ck_data_asset_restatement_period_first_day"),
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["data_asset.id"],
            name=op.f("fk_data_asset_restatement_asset_id_data_asset"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_data_asset_restatement_merchant_id_merchant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_asset_restatement")),
    )
    op.create_index("ix_data_asset_restatement_asset", "data_asset_restatement", ["asset_id", "id"])
    op.create_index(
        "ix_data_asset_restatement_merchant", "data_asset_restatement", ["merchant_id", "id"]
    )

    op.add_column("data_asset", sa.Column("development_started_on", sa.Date(), nullable=True))
    for column in (
        sa.Column("invoice_number", sa.String(length=64), nullable=True),
        sa.Column("invoice_issued_on", sa.Date(), nullable=True),
        sa.Column("invoice_amount", sa.Numeric(15, 2), nullable=True),
        sa.Column("vat_deductible", sa.Boolean(), nullable=True),
        sa.Column("restatement_id", sa.Uuid(), nullable=True),
    ):
        op.add_column("data_asset_cost_item", column)
    op.add_column("data_asset_movement", sa.Column("restatement_id", sa.Uuid(), nullable=True))
    for table in ("data_asset_cost_item", "data_asset_movement"):
        op.create_foreign_key(
            op.f(f"fk_{table}_restatement_id_data_asset_restatement"),
            table,
            "data_asset_restatement",
            ["restatement_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    op.drop_constraint(
        op.f("ck_data_asset_movement_type_known"), "data_asset_movement", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_data_asset_movement_type_known"), "data_asset_movement", NEW_TYPES
    )


def downgrade() -> None:
    # Restated records cannot be kept without their restatements: downgrading a database
    # that holds some fails on the foreign keys' removal order below, on purpose.
    op.drop_constraint(
        op.f("ck_data_asset_movement_type_known"), "data_asset_movement", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_data_asset_movement_type_known"), "data_asset_movement", OLD_TYPES
    )
    for table in ("data_asset_cost_item", "data_asset_movement"):
        op.drop_constraint(
            op.f(f"fk_{table}_restatement_id_data_asset_restatement"), table, type_="foreignkey"
        )
    op.drop_column("data_asset_movement", "restatement_id")
    for name in (
        "restatement_id",
        "vat_deductible",
        "invoice_amount",
        "invoice_issued_on",
        "invoice_number",
    ):
        op.drop_column("data_asset_cost_item", name)
    op.drop_column("data_asset", "development_started_on")
    op.drop_index("ix_data_asset_restatement_merchant", table_name="data_asset_restatement")
    op.drop_index("ix_data_asset_restatement_asset", table_name="data_asset_restatement")
    op.drop_table("data_asset_restatement")
    op.execute("DROP TRIGGER data_asset_period_close_immutable ON data_asset_period_close")
    op.execute("DROP FUNCTION data_asset_period_close_immutable()")
    op.drop_table("data_asset_period_close")

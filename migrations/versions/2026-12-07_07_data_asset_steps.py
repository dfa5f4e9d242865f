"""Data assets: the missing CAS steps (issue 29).

Movements gain `revise` (会计估计变更: useful life, residual value). Its inputs and effects,
like the new `proceeds` of `dispose`, live in the movement's `details` / `effects` (JSONB):
no column.

Revision ID: 20261207_07
Revises: 20261207_06
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261207_07"
down_revision: str | None = "20261207_06"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_TYPES = (
    "type IN ('capitalise', 'dispose', 'derecognise', 'impair', 'write_down', "
    "'reverse_write_down', 'cost_adjustment')"
)
NEW_TYPES = (
    "type IN ('capitalise', 'dispose', 'derecognise', 'impair', 'write_down', "
    "'reverse_write_down', 'cost_adjustment', 'revise')"
)


def upgrade() -> None:
    op.drop_constraint(
        op.f("ck_data_asset_movement_type_known"), "data_asset_movement", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_data_asset_movement_type_known"), "data_asset_movement", NEW_TYPES
    )


def downgrade() -> None:
    # A database holding revisions fails here, on purpose: they cannot
    # be kept under the old constraint, and dropping them would rewrite the FIN log's record.
    op.drop_constraint(
        op.f("ck_data_asset_movement_type_known"), "data_asset_movement", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_data_asset_movement_type_known"), "data_asset_movement", OLD_TYPES
    )

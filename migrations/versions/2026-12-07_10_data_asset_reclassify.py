"""Data assets: reclassify between inventory and intangible (issue 29).

Movements gain `reclassify`; its inputs (`to`, `reason`, the new life and residual value)
and effects live in the movement's `details` / `effects` (JSONB): no column. The asset's
`asset_class` stays the class it was recorded with (its cost items and movements carry it,
and the class-and-source check holds); its class now is read from its movements.

Revision ID: 20261207_10
Revises: 20261207_09
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261207_10"
down_revision: str | None = "20261207_09"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_TYPES = (
    "type IN ('capitalise', 'dispose', 'derecognise', 'impair', 'write_down', "
    "'reverse_write_down', 'cost_adjustment', 'revise')"
)
NEW_TYPES = (
    "type IN ('capitalise', 'dispose', 'derecognise', 'impair', 'write_down', "
    "'reverse_write_down', 'cost_adjustment', 'revise', 'reclassify')"
)


def upgrade() -> None:
    op.drop_constraint(
        op.f("ck_data_asset_movement_type_known"), "data_asset_movement", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_data_asset_movement_type_known"), "data_asset_movement", NEW_TYPES
    )


def downgrade() -> None:
    # A database holding reclassifications fails here, on purpose: they cannot be kept
    # under the old constraint, and dropping them would rewrite the FIN log's record.
    op.drop_constraint(
        op.f("ck_data_asset_movement_type_known"), "data_asset_movement", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_data_asset_movement_type_known"), "data_asset_movement", OLD_TYPES
    )

"""Pledges need both sides, a pledge in force needs the pledgee's consent to each step it
blocks, and core data suspends its certificate (DOMAIN.md, "Who may do what, round 2").

- `ip_registration.status` admits `suspended` (a product reclassified `core`), with
  `suspension_reason` (`core_data`); a suspended registration is still the product's live
  one, so the partial unique index on live registrations covers it.
- `ip_pledge.status`: `applied` (the holder's application) → `in_force` (confirmed by the
  pledgee's key or the operator) → `released`; or `applied` → `withdrawn` (the holder).
  `pledgor_merchant_id`: the holder that applied, so a pledge applied before a transfer is
  never confirmed against the new holder. Pledges already stored were registered by the
  old one-sided rule and have restricted since: they stay `in_force` (or `released`), and
  their pledgor is the registration's holder today.
- `ip_pledge_consent`: the pledgee's consent to one step (`transfer`, `cancel`, `license`)
  on a pledge in force, recorded by the operator; used (`used_at`) by the one step it
  admits, whose `IPR` leaf names the consent.

Revision ID: 20261207_02
Revises: 20261207_01
Create Date: 2026-12-07 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_02"
down_revision: str | None = "20261207_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATUSES = (
    "'submitted', 'publicizing', 'objected', 'rejected', 'registered', 'revoked', 'expired',"
    " 'cancelled'"
)
_STATUSES = _OLD_STATUSES + ", 'suspended'"
_OLD_LIVE = "status IN ('submitted', 'publicizing', 'objected', 'registered')"
_LIVE = "status IN ('submitted', 'publicizing', 'objected', 'registered', 'suspended')"


def _live_index(where: str) -> None:
    op.drop_index("uq_ip_registration_live_product", table_name="ip_registration")
    op.create_index(
        "uq_ip_registration_live_product",
        "ip_registration",
        ["product_id"],
        unique=True,
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    op.drop_constraint(op.f("ck_ip_registration_status_known"), "ip_registration", type_="check")
    op.create_check_constraint(
        op.f("ck_ip_registration_status_known"), "ip_registration", f"status IN ({_STATUSES})"
    )
    op.add_column(
        "ip_registration", sa.Column("suspension_reason", sa.String(length=32), nullable=True)
    )
    _live_index(_LIVE)

    op.add_column(
        "ip_pledge",
        sa.Column("status", sa.String(length=16), nullable=False, server_default="in_force"),
    )
    op.execute("UPDATE ip_pledge SET status = 'released' WHERE released_at IS NOT NULL")
    op.alter_column("ip_pledge", "status", server_default=None)
    op.create_check_constraint(
        op.f("ck_ip_pledge_status_known"),
        "ip_pledge",
        "status IN ('applied', 'in_force', 'withdrawn', 'released')",
    )
    op.add_column("ip_pledge", sa.Column("pledgor_merchant_id", sa.Uuid(), nullable=True))
    op.execute(
        "UPDATE ip_pledge p SET pledgor_merchant_id = r.holder_merchant_id"
        " FROM ip_registration r WHERE r.id = p.registration_id"
    )
    op.alter_column("ip_pledge", "pledgor_merchant_id", nullable=False)
    op.create_foreign_key(
        op.f("fk_ip_pledge_pledgor_merchant_id_merchant"),
        "ip_pledge",
        "merchant",
        ["pledgor_merchant_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.add_column("ip_pledge", sa.Column("confirmed_at", sa.DateTime(timezone=True)))
    op.add_column("ip_pledge", sa.Column("withdrawn_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE ip_pledge SET confirmed_at = created_at")

    op.create_table(
        "ip_pledge_consent",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pledge_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=500), nullable=True),
        sa.Column("recorded_by_key_id", sa.Uuid(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "step IN ('transfer', 'cancel', 'license')",
            name=op.f("ck_ip_pledge_consent_step_known"),
        ),
        sa.ForeignKeyConstraint(
            ["pledge_id"],
            ["ip_pledge.id"],
            name=op.f("fk_ip_pledge_consent_pledge_id_ip_pledge"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ip_pledge_consent")),
    )
    op.create_index(
        "ix_ip_pledge_consent_pledge", "ip_pledge_consent", ["pledge_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_ip_pledge_consent_pledge", table_name="ip_pledge_consent")
    op.drop_table("ip_pledge_consent")
    # Pledges never confirmed restricted nothing: they leave with the rule that made them.
    op.execute("DELETE FROM ip_pledge WHERE status IN ('applied', 'withdrawn')")
    op.drop_column("ip_pledge", "withdrawn_at")
    op.drop_column("ip_pledge", "confirmed_at")
    op.drop_constraint(
        op.f("fk_ip_pledge_pledgor_merchant_id_merchant"), "ip_pledge", type_="foreignkey"
    )
    op.drop_column("ip_pledge", "pledgor_merchant_id")
    op.drop_constraint(op.f("ck_ip_pledge_status_known"), "ip_pledge", type_="check")
    op.drop_column("ip_pledge", "status")

    _live_index(_OLD_LIVE)
    # The old rule had no suspension: a suspended certificate reads as registered again.
    op.execute("UPDATE ip_registration SET status = 'registered' WHERE status = 'suspended'")
    op.drop_column("ip_registration", "suspension_reason")
    op.drop_constraint(op.f("ck_ip_registration_status_known"), "ip_registration", type_="check")
    op.create_check_constraint(
        op.f("ck_ip_registration_status_known"), "ip_registration", f"status IN ({_OLD_STATUSES})"
    )

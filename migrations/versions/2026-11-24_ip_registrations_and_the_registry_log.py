"""Data IP registrations, their objections, licences, pledges and steps; the registry log.

A ledger log is now named by a venue's code or by `IPR`, the registry log of data IP
registration steps: the ledger tables no longer point at `venue`. `ip_step` is append-only
like the ledger, and certificate serials come from a sequence of seven digits.

Revision ID: 3760783c62e7
Revises: 3deb4c6b4369
Create Date: 2026-11-24 04:51:19.401432
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3760783c62e7"
down_revision: str | None = "3deb4c6b4369"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE ip_certificate_serial START 1 MINVALUE 1 MAXVALUE 9999999")
    op.create_table(
        "ip_registration",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("applicant_merchant_id", sa.Uuid(), nullable=False),
        sa.Column("holder_merchant_id", sa.Uuid(), nullable=False),
        sa.Column("data_name", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=40), nullable=False),
        sa.Column("sources", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("scale", sa.String(length=200), nullable=False),
        sa.Column("data_format", sa.String(length=100), nullable=False),
        sa.Column("structure", sa.Text(), nullable=False),
        sa.Column("update_frequency", sa.String(length=50), nullable=False),
        sa.Column("time_span_start", sa.Date(), nullable=True),
        sa.Column("time_span_end", sa.Date(), nullable=True),
        sa.Column("processing_rules", sa.Text(), nullable=False),
        sa.Column("application_scenarios", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("evidence_digest", sa.String(length=64), nullable=False),
        sa.Column("evidence_reference", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("publicity_starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("publicity_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("certificate_number", sa.String(length=17), nullable=True),
        sa.Column("granted_on", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("decision_reason", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "evidence_digest ~ '^[0-9a-f]{64}$'",
            name=op.f("ck_ip_registration_evidence_digest_hex"),
        ),
        sa.CheckConstraint(
            "status IN ('submitted', 'publicizing', 'objected', 'rejected', 'registered', 'revoked', 'expired', 'cancelled')",
            name=op.f("ck_ip_registration_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["applicant_merchant_id"],
            ["merchant.id"],
            name=op.f("fk_ip_registration_applicant_merchant_id_merchant"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["holder_merchant_id"],
            ["merchant.id"],
            name=op.f("fk_ip_registration_holder_merchant_id_merchant"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_ip_registration_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ip_registration")),
        sa.UniqueConstraint(
            "certificate_number", name=op.f("uq_ip_registration_certificate_number")
        ),
    )
    op.create_index(
        "ix_ip_registration_holder", "ip_registration", ["holder_merchant_id", "id"], unique=False
    )
    op.create_index(
        "ix_ip_registration_status_valid_until",
        "ip_registration",
        ["status", "valid_until"],
        unique=False,
    )
    op.create_index(
        "uq_ip_registration_live_product",
        "ip_registration",
        ["product_id"],
        unique=True,
        postgresql_where=sa.text(
            "status IN ('submitted', 'publicizing', 'objected', 'registered')"
        ),
    )
    op.create_table(
        "ip_licence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("registration_id", sa.Uuid(), nullable=False),
        sa.Column("licensee_merchant_id", sa.Uuid(), nullable=True),
        sa.Column("licensee_name", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("exclusive", sa.Boolean(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_ip_licence_term_ordered")),
        sa.ForeignKeyConstraint(
            ["licensee_merchant_id"],
            ["merchant.id"],
            name=op.f("fk_ip_licence_licensee_merchant_id_merchant"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["ip_registration.id"],
            name=op.f("fk_ip_licence_registration_id_ip_registration"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ip_licence")),
    )
    op.create_index(
        "ix_ip_licence_registration", "ip_licence", ["registration_id", "starts_on"], unique=False
    )
    op.create_table(
        "ip_objection",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("registration_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("grounds", sa.String(length=4000), nullable=False),
        sa.Column("objector_key_id", sa.Uuid(), nullable=False),
        sa.Column("objector_merchant_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision_reason", sa.String(length=2000), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('ownership', 'other')", name=op.f("ck_ip_objection_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'upheld', 'dismissed', 'closed')",
            name=op.f("ck_ip_objection_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["ip_registration.id"],
            name=op.f("fk_ip_objection_registration_id_ip_registration"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ip_objection")),
    )
    op.create_index(
        "ix_ip_objection_registration", "ip_objection", ["registration_id", "id"], unique=False
    )
    op.create_table(
        "ip_pledge",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("registration_id", sa.Uuid(), nullable=False),
        sa.Column("pledgee_name", sa.String(length=200), nullable=False),
        sa.Column("pledgee_uscc", sa.String(length=18), nullable=True),
        sa.Column("secured_amount", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_ip_pledge_term_ordered")),
        sa.CheckConstraint("secured_amount > 0", name=op.f("ck_ip_pledge_secured_amount_positive")),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["ip_registration.id"],
            name=op.f("fk_ip_pledge_registration_id_ip_registration"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ip_pledge")),
    )
    op.create_index(
        "ix_ip_pledge_registration", "ip_pledge", ["registration_id", "starts_on"], unique=False
    )
    op.create_table(
        "ip_step",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("registration_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("certificate_number", sa.String(length=17), nullable=True),
        sa.Column("holder_merchant_id", sa.Uuid(), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("actor_key_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["ip_registration.id"],
            name=op.f("fk_ip_step_registration_id_ip_registration"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ip_step")),
    )
    op.create_index("ix_ip_step_registration", "ip_step", ["registration_id", "id"], unique=False)
    op.execute("""
        CREATE FUNCTION ip_step_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'ip_step is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$;
    """)
    op.execute("""
        CREATE TRIGGER ip_step_immutable BEFORE UPDATE OR DELETE ON ip_step
        FOR EACH ROW EXECUTE FUNCTION ip_step_immutable();
    """)
    op.drop_constraint(op.f("fk_ledger_entry_venue_code_venue"), "ledger_entry", type_="foreignkey")
    op.drop_constraint(op.f("fk_ledger_head_venue_code_venue"), "ledger_head", type_="foreignkey")
    op.drop_constraint(op.f("fk_ledger_node_venue_code_venue"), "ledger_node", type_="foreignkey")
    op.drop_constraint(
        op.f("fk_ledger_tree_head_venue_code_venue"), "ledger_tree_head", type_="foreignkey"
    )


def downgrade() -> None:
    op.create_foreign_key(
        op.f("fk_ledger_tree_head_venue_code_venue"),
        "ledger_tree_head",
        "venue",
        ["venue_code"],
        ["code"],
        ondelete="RESTRICT",
    )
    op.create_foreign_key(
        op.f("fk_ledger_node_venue_code_venue"),
        "ledger_node",
        "venue",
        ["venue_code"],
        ["code"],
        ondelete="RESTRICT",
    )
    op.create_foreign_key(
        op.f("fk_ledger_head_venue_code_venue"),
        "ledger_head",
        "venue",
        ["venue_code"],
        ["code"],
        ondelete="RESTRICT",
    )
    op.create_foreign_key(
        op.f("fk_ledger_entry_venue_code_venue"),
        "ledger_entry",
        "venue",
        ["venue_code"],
        ["code"],
        ondelete="RESTRICT",
    )
    op.execute("DROP TRIGGER ip_step_immutable ON ip_step")
    op.execute("DROP FUNCTION ip_step_immutable()")
    op.drop_index("ix_ip_step_registration", table_name="ip_step")
    op.drop_table("ip_step")
    op.drop_index("ix_ip_pledge_registration", table_name="ip_pledge")
    op.drop_table("ip_pledge")
    op.drop_index("ix_ip_objection_registration", table_name="ip_objection")
    op.drop_table("ip_objection")
    op.drop_index("ix_ip_licence_registration", table_name="ip_licence")
    op.drop_table("ip_licence")
    op.drop_index(
        "uq_ip_registration_live_product",
        table_name="ip_registration",
        postgresql_where=sa.text(
            "status IN ('submitted', 'publicizing', 'objected', 'registered')"
        ),
    )
    op.drop_index("ix_ip_registration_status_valid_until", table_name="ip_registration")
    op.drop_index("ix_ip_registration_holder", table_name="ip_registration")
    op.drop_table("ip_registration")
    op.execute("DROP SEQUENCE ip_certificate_serial")

"""The foundation: API keys, venues (seeded), merchants, certifications, audit events.

Revision ID: 989a0d39a700
Revises:
Create Date: 2026-11-24 02:19:19.122500
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "989a0d39a700"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here as they were seeded; later changes go through the API or a new revision.
SEED_VENUES = [
    {
        "code": "ZJBDEX",
        "name": "浙江大数据交易中心",
        "name_en": "Zhejiang Big Data Exchange Center",
        "region_code": "330483",
        "fee_rate": "0.005",
    },
    {
        "code": "HZDEX",
        "name": "杭州数据交易所",
        "name_en": "Hangzhou Data Exchange",
        "region_code": "330100",
        "fee_rate": "0.003",
    },
    {
        "code": "WZDEX",
        "name": "温州数据交易中心",
        "name_en": "Wenzhou Data Exchange Center",
        "region_code": "330300",
        "fee_rate": "0.003",
    },
    {
        "code": "NBSE",
        "name": "宁波航运交易所",
        "name_en": "Ningbo Shipping Exchange",
        "region_code": "330200",
        "fee_rate": "0.002",
    },
    {
        "code": "OTC",
        "name": "场外登记",
        "name_en": "Off-venue registrations",
        "region_code": None,
        "fee_rate": "0",
    },
]
DEFAULT_NEGATIVE_LIST = """[
  {"code": "CORE_DATA", "kind": "classification", "values": ["core"],
   "description": "核心数据不得交易 / core data may not be traded"},
  {"code": "SOURCE_UNLAWFUL", "kind": "source_lawfulness", "values": [],
   "description": "来源不合法或未经授权 / unlawful or unauthorised sources"},
  {"code": "PI_NO_BASIS", "kind": "personal_info_basis", "values": [],
   "description": "个人信息缺乏合法性基础 / personal information without a lawful basis"},
  {"code": "KEYWORDS", "kind": "keywords", "values": ["国家秘密", "军事设施", "军事禁区", "国家核心数据"],
   "description": "禁止的关键词 / forbidden keywords"}
]"""


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_key_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("actor_merchant_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_actor_key_id", "audit_event", ["actor_key_id"], unique=False)
    op.create_index("ix_audit_event_created_at", "audit_event", ["created_at"], unique=False)
    op.create_index(
        "ix_audit_event_resource", "audit_event", ["resource_type", "resource_id"], unique=False
    )
    op.create_table(
        "merchant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("uscc_override_reason", sa.Text(), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("categories", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("third_party_roles", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "region_code ~ '^[0-9]{6}$'", name=op.f("ck_merchant_region_code_format")
        ),
        sa.CheckConstraint("tier IN ('leading', 'growth')", name=op.f("ck_merchant_tier_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchant")),
        sa.UniqueConstraint("uscc", name=op.f("uq_merchant_uscc")),
    )
    op.create_index(
        "ix_merchant_categories", "merchant", ["categories"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        "ix_merchant_region_code",
        "merchant",
        ["region_code"],
        unique=False,
        postgresql_ops={"region_code": "text_pattern_ops"},
    )
    op.create_table(
        "venue",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("fee_rate", sa.Numeric(precision=7, scale=6), nullable=False),
        sa.Column("negative_list", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("code ~ '^[A-Z][A-Z0-9]{1,15}$'", name=op.f("ck_venue_code_format")),
        sa.CheckConstraint("fee_rate >= 0 AND fee_rate < 1", name=op.f("ck_venue_fee_rate_range")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_venue")),
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=True),
        sa.Column("token_prefix", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_key_id", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(role = 'merchant') = (merchant_id IS NOT NULL)", name=op.f("ck_api_key_merchant_key")
        ),
        sa.CheckConstraint(
            "role IN ('operator', 'merchant', 'assessor', 'auditor')",
            name=op.f("ck_api_key_role_known"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_key_id"],
            ["api_key.id"],
            name=op.f("fk_api_key_created_by_key_id_api_key"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_api_key_merchant_id_merchant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_key_token_hash")),
    )
    op.create_index(op.f("ix_api_key_merchant_id"), "api_key", ["merchant_id"], unique=False)
    op.create_table(
        "merchant_certification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("certificate_number", sa.String(length=100), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IS NULL OR level BETWEEN 1 AND 5",
            name=op.f("ck_merchant_certification_level_range"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_merchant_certification_merchant_id_merchant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchant_certification")),
    )
    op.create_index(
        op.f("ix_merchant_certification_merchant_id"),
        "merchant_certification",
        ["merchant_id"],
        unique=False,
    )
    op.create_index(
        "ix_merchant_certification_scheme_level",
        "merchant_certification",
        ["scheme", "level", "valid_until"],
        unique=False,
    )

    # The audit trail is append-only: the database refuses to change or delete an event.
    op.execute("""
        CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_event is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$;
    """)
    op.execute("""
        CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
        FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
    """)

    venue = sa.table(
        "venue",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("name_en", sa.String),
        sa.column("region_code", sa.String),
        sa.column("fee_rate", sa.Numeric),
        sa.column("negative_list", postgresql.JSONB),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("version", sa.Integer),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        venue,
        [
            {
                **row,
                "negative_list": json.loads(DEFAULT_NEGATIVE_LIST),
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for row in SEED_VENUES
        ],
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
    op.execute("DROP FUNCTION audit_event_append_only()")
    op.drop_index("ix_merchant_certification_scheme_level", table_name="merchant_certification")
    op.drop_index(
        op.f("ix_merchant_certification_merchant_id"), table_name="merchant_certification"
    )
    op.drop_table("merchant_certification")
    op.drop_index(op.f("ix_api_key_merchant_id"), table_name="api_key")
    op.drop_table("api_key")
    op.drop_table("venue")
    op.drop_index(
        "ix_merchant_region_code",
        table_name="merchant",
        postgresql_ops={"region_code": "text_pattern_ops"},
    )
    op.drop_index("ix_merchant_categories", table_name="merchant", postgresql_using="gin")
    op.drop_table("merchant")
    op.drop_index("ix_audit_event_resource", table_name="audit_event")
    op.drop_index("ix_audit_event_created_at", table_name="audit_event")
    op.drop_index("ix_audit_event_actor_key_id", table_name="audit_event")
    op.drop_table("audit_event")

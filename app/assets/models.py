"""The data-asset register (数据资产入表): assets, their cost items and their movements.

An asset row holds what may change (its name, description, product and status); its cost
items and movements never change once written (triggers refuse it) and each is a leaf of the
`FIN` log. They carry the asset's merchant, class and source (which never change either),
so that every leaf can be rebuilt from its own row.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, new_id, utcnow

_CLASS_AND_SOURCE = (
    "(asset_class = 'intangible' AND source IN ('purchased', 'developed', 'other'))"
    " OR (asset_class = 'inventory' AND source IN ('purchased', 'processed', 'other'))"
)
_STATUSES = "'open', 'in_development', 'capitalised', 'held', 'disposed', 'derecognised'"
COST_KINDS = (
    "purchase_price",
    "taxes",
    "processing",
    "rights_verification",
    "quality_assessment",
    "registration_settlement",
    "security",
    "labour",
    "compute",
    "other",
)
MOVEMENT_TYPES = (
    "capitalise",
    "dispose",
    "derecognise",
    "impair",
    "write_down",
    "reverse_write_down",
    "cost_adjustment",
    "revise",
    "reclassify",
)
RESTATEMENT_STATES = ("pending", "applied", "rejected")


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class DataAsset(Base):
    __tablename__ = "data_asset"
    __table_args__ = (
        CheckConstraint(_CLASS_AND_SOURCE, name="class_and_source_known"),
        CheckConstraint(f"status IN ({_STATUSES})", name="status_known"),
        Index("ix_data_asset_merchant", "merchant_id", "id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    merchant_id: Mapped[UUID] = mapped_column(ForeignKey("merchant.id", ondelete="RESTRICT"))
    product_id: Mapped[UUID | None] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(4000))
    asset_class: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    # Research before development (CAS 6 第九条): set explicitly or by the first development
    # item; no research item may be dated on or after it.
    development_started_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class DataAssetCostItem(Base):
    """A cost item (成本项目), never changed; leaf `leaf_index` of `FIN`."""

    __tablename__ = "data_asset_cost_item"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_quoted(COST_KINDS)})", name="kind_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("phase IN ('research', 'development')", name="phase_known"),
        CheckConstraint(_CLASS_AND_SOURCE, name="class_and_source_known"),
        Index("ix_data_asset_cost_item_asset", "asset_id", "id"),
        Index(
            "ix_data_asset_cost_item_trade",
            "trade_id",
            postgresql_where=text("trade_id IS NOT NULL"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    asset_id: Mapped[UUID] = mapped_column(ForeignKey("data_asset.id", ondelete="RESTRICT"))
    merchant_id: Mapped[UUID] = mapped_column(ForeignKey("merchant.id", ondelete="RESTRICT"))
    asset_class: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(Numeric(15, 2))
    incurred_on: Mapped[date] = mapped_column(Date)
    phase: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(String(500))
    trade_id: Mapped[UUID | None] = mapped_column(ForeignKey("trade.id", ondelete="RESTRICT"))
    assessment_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("assessment.id", ondelete="RESTRICT")
    )
    certificate_number: Mapped[str | None] = mapped_column(String(17))
    # An invoice as evidence: every item citing one number of a merchant names the same
    # date and amount, and together they stay within it.
    invoice_number: Mapped[str | None] = mapped_column(String(64))
    invoice_issued_on: Mapped[date | None] = mapped_column(Date)
    invoice_amount: Mapped[Decimal | None] = mapped_column(Numeric(15, 2))
    # Taxes only: deductible input VAT (进项税额) is recorded, not capitalised.
    vat_deductible: Mapped[bool | None] = mapped_column()
    restatement_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("data_asset_restatement.id", ondelete="RESTRICT")
    )
    leaf_index: Mapped[int] = mapped_column(BigInteger)
    actor_key_id: Mapped[UUID | None] = mapped_column()
    actor_role: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DataAssetMovement(Base):
    """A movement (capitalise, dispose, …), never changed; leaf `leaf_index` of `FIN`.
    `details` are its inputs as asked, `effects` the amounts it moved (decimal strings)."""

    __tablename__ = "data_asset_movement"
    __table_args__ = (
        CheckConstraint(f"type IN ({_quoted(MOVEMENT_TYPES)})", name="type_known"),
        CheckConstraint(_CLASS_AND_SOURCE, name="class_and_source_known"),
        UniqueConstraint("asset_id", "sequence", name="uq_data_asset_movement_sequence"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    asset_id: Mapped[UUID] = mapped_column(ForeignKey("data_asset.id", ondelete="RESTRICT"))
    sequence: Mapped[int] = mapped_column(Integer)  # 1, 2, … in the order taken
    merchant_id: Mapped[UUID] = mapped_column(ForeignKey("merchant.id", ondelete="RESTRICT"))
    asset_class: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(24))
    occurred_on: Mapped[date] = mapped_column(Date)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB)
    effects: Mapped[dict[str, Any]] = mapped_column(JSONB)
    restatement_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("data_asset_restatement.id", ondelete="RESTRICT")
    )
    leaf_index: Mapped[int] = mapped_column(BigInteger)
    actor_key_id: Mapped[UUID | None] = mapped_column()
    actor_role: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DataAssetPeriodClose(Base):
    """A close of a merchant's months through `through` (its first day), never undone; leaf
    `leaf_index` of `FIN`, carrying the SHA-256 of the as-reported disclosure of the fiscal
    year of `through`, January to `through` (RFC 8785 canonical JSON)."""

    __tablename__ = "data_asset_period_close"
    __table_args__ = (
        UniqueConstraint("merchant_id", "through", name="uq_data_asset_period_close_through"),
        CheckConstraint("EXTRACT(DAY FROM through) = 1", name="through_first_day"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    merchant_id: Mapped[UUID] = mapped_column(ForeignKey("merchant.id", ondelete="RESTRICT"))
    through: Mapped[date] = mapped_column(Date)
    report_sha256: Mapped[str] = mapped_column(String(64))
    leaf_index: Mapped[int] = mapped_column(BigInteger)
    actor_key_id: Mapped[UUID | None] = mapped_column()
    actor_role: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DataAssetRestatement(Base):
    """A correction of a prior-period error (CAS 28 第十二条) dated in a closed month: the
    operator's applies at once, a merchant's waits for an operator's approval. Applied, its
    entry is a cost item or movement carrying `restatement_id`, and the restatement itself a
    leaf `leaf_index` of `FIN`."""

    __tablename__ = "data_asset_restatement"
    __table_args__ = (
        CheckConstraint(f"state IN ({_quoted(RESTATEMENT_STATES)})", name="state_known"),
        CheckConstraint("EXTRACT(DAY FROM period) = 1", name="period_first_day"),
        Index("ix_data_asset_restatement_asset", "asset_id", "id"),
        Index("ix_data_asset_restatement_merchant", "merchant_id", "id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    asset_id: Mapped[UUID] = mapped_column(ForeignKey("data_asset.id", ondelete="RESTRICT"))
    merchant_id: Mapped[UUID] = mapped_column(ForeignKey("merchant.id", ondelete="RESTRICT"))
    period: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(2000))
    entry: Mapped[dict[str, Any]] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(String(16))
    requested_by_key_id: Mapped[UUID | None] = mapped_column()
    requested_by_role: Mapped[str] = mapped_column(String(16))
    decided_by_key_id: Mapped[UUID | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(String(2000))
    record_type: Mapped[str | None] = mapped_column(String(16))  # cost_item | movement
    record_id: Mapped[UUID | None] = mapped_column()
    leaf_index: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class DataAssetAccount(Base):
    """A merchant's own account for one of the journal's default codes (DOMAIN.md "Journal"):
    the chart its vouchers are written on. A code not mapped keeps its default."""

    __tablename__ = "data_asset_account"

    merchant_id: Mapped[UUID] = mapped_column(
        ForeignKey("merchant.id", ondelete="RESTRICT"), primary_key=True
    )
    default_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

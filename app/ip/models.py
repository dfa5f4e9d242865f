"""Data IP registrations (数据知识产权登记), their certificates, and everything that happens
to them: objections, licences, pledges, and the step history (each step a leaf of the
registry log `IPR`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Sequence,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, new_id, utcnow

# The serial part of certificate numbers (seven digits): unique across the registry.
CERTIFICATE_SERIAL = Sequence("ip_certificate_serial", start=1, maxvalue=9_999_999)

_STATUSES = (
    "'submitted', 'publicizing', 'objected', 'rejected', 'registered', 'revoked', 'expired',"
    " 'cancelled', 'suspended'"
)


class IpRegistration(Base):
    __tablename__ = "ip_registration"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status_known"),
        CheckConstraint("evidence_digest ~ '^[0-9a-f]{64}$'", name="evidence_digest_hex"),
        # One registration in progress or in force per product.
        Index(
            "uq_ip_registration_live_product",
            "product_id",
            unique=True,
            postgresql_where=text(
                "status IN ('submitted', 'publicizing', 'objected', 'registered', 'suspended')"
            ),
        ),
        Index("ix_ip_registration_holder", "holder_merchant_id", "id"),
        Index("ix_ip_registration_status_valid_until", "status", "valid_until"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    product_id: Mapped[UUID] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    applicant_merchant_id: Mapped[UUID] = mapped_column(
        ForeignKey("merchant.id", ondelete="RESTRICT")
    )
    holder_merchant_id: Mapped[UUID] = mapped_column(ForeignKey("merchant.id", ondelete="RESTRICT"))
    data_name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(40))
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    scale: Mapped[str] = mapped_column(String(200))
    data_format: Mapped[str] = mapped_column(String(100))
    structure: Mapped[str] = mapped_column(Text)
    update_frequency: Mapped[str] = mapped_column(String(50))
    time_span_start: Mapped[date | None] = mapped_column(Date)
    time_span_end: Mapped[date | None] = mapped_column(Date)
    processing_rules: Mapped[str] = mapped_column(Text)
    application_scenarios: Mapped[list[str]] = mapped_column(JSONB)
    evidence_digest: Mapped[str] = mapped_column(String(64))
    evidence_reference: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    publicity_starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    publicity_ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    certificate_number: Mapped[str | None] = mapped_column(String(17), unique=True)
    granted_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    decision_reason: Mapped[str | None] = mapped_column(String(2000))
    # Why a registration is `suspended` (`core_data`); cleared when the operator reinstates.
    suspension_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class IpObjection(Base):
    """An objection raised during public notice (异议), until the operator decides it."""

    __tablename__ = "ip_objection"
    __table_args__ = (
        CheckConstraint("kind IN ('ownership', 'other')", name="kind_known"),
        CheckConstraint("status IN ('open', 'upheld', 'dismissed', 'closed')", name="status_known"),
        Index("ix_ip_objection_registration", "registration_id", "id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    registration_id: Mapped[UUID] = mapped_column(
        ForeignKey("ip_registration.id", ondelete="RESTRICT")
    )
    kind: Mapped[str] = mapped_column(String(16))
    grounds: Mapped[str] = mapped_column(String(4000))
    objector_key_id: Mapped[UUID] = mapped_column()
    objector_merchant_id: Mapped[UUID | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="open")
    decision_reason: Mapped[str | None] = mapped_column(String(2000))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IpLicence(Base):
    """A licence (许可) granted by the holder; in force from `starts_on` to `ends_on`."""

    __tablename__ = "ip_licence"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="term_ordered"),
        Index("ix_ip_licence_registration", "registration_id", "starts_on"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    registration_id: Mapped[UUID] = mapped_column(
        ForeignKey("ip_registration.id", ondelete="RESTRICT")
    )
    licensee_merchant_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("merchant.id", ondelete="RESTRICT")
    )
    licensee_name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(1000))
    exclusive: Mapped[bool] = mapped_column(Boolean)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IpPledge(Base):
    """A pledge (质押) of the IP as security. The holder applies (`applied`); the pledgee's
    key or the operator confirms (`in_force`, until released or its term ends); the holder
    may withdraw an applied one (`withdrawn`). Only a pledge in force restricts."""

    __tablename__ = "ip_pledge"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="term_ordered"),
        CheckConstraint("secured_amount > 0", name="secured_amount_positive"),
        CheckConstraint(
            "status IN ('applied', 'in_force', 'withdrawn', 'released')", name="status_known"
        ),
        Index("ix_ip_pledge_registration", "registration_id", "starts_on"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    registration_id: Mapped[UUID] = mapped_column(
        ForeignKey("ip_registration.id", ondelete="RESTRICT")
    )
    pledgee_name: Mapped[str] = mapped_column(String(200))
    pledgee_uscc: Mapped[str | None] = mapped_column(String(18))
    # The pledgee, when it is a merchant of the exchange: its key may release the pledge.
    pledgee_merchant_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("merchant.id", ondelete="RESTRICT")
    )
    # The holder that applied: a pledge applied before a transfer never binds the new holder.
    pledgor_merchant_id: Mapped[UUID] = mapped_column(
        ForeignKey("merchant.id", ondelete="RESTRICT")
    )
    secured_amount: Mapped[Decimal] = mapped_column(Numeric(15, 2))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="applied")
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IpPledgeConsent(Base):
    """The pledgee's consent to one step on a pledge in force (民法典 第四百四十四条: a pledged
    right is transferred or licensed only with the pledgee's consent), recorded by the
    operator. One consent admits one such step: the step that uses it sets `used_at` and
    names the consent in its `IPR` leaf."""

    __tablename__ = "ip_pledge_consent"
    __table_args__ = (
        CheckConstraint("step IN ('transfer', 'cancel', 'license')", name="step_known"),
        Index("ix_ip_pledge_consent_pledge", "pledge_id", "id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    pledge_id: Mapped[UUID] = mapped_column(ForeignKey("ip_pledge.id", ondelete="RESTRICT"))
    step: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str | None] = mapped_column(String(500))
    recorded_by_key_id: Mapped[UUID | None] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IpStep(Base):
    """One step in a registration's history, never changed; leaf `leaf_index` of `IPR`."""

    __tablename__ = "ip_step"
    __table_args__ = (Index("ix_ip_step_registration", "registration_id", "id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    registration_id: Mapped[UUID] = mapped_column(
        ForeignKey("ip_registration.id", ondelete="RESTRICT")
    )
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    certificate_number: Mapped[str | None] = mapped_column(String(17))
    holder_merchant_id: Mapped[UUID] = mapped_column()
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    actor_key_id: Mapped[UUID | None] = mapped_column()
    actor_role: Mapped[str | None] = mapped_column(String(16))
    leaf_index: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

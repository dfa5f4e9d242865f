"""The `audit_event` table: who changed what, when, through which request. Append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, DateTime, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, new_id, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_resource", "resource_type", "resource_id"),
        Index("ix_audit_event_actor_key_id", "actor_key_id"),
        Index("ix_audit_event_created_at", "created_at"),
        Index("ix_audit_event_refused", "created_at", postgresql_where=text("outcome = 'refused'")),
        CheckConstraint("outcome IN ('succeeded', 'refused')", name="outcome_known"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # No foreign keys: the record of an action outlives whatever it names.
    actor_key_id: Mapped[UUID | None] = mapped_column()
    actor_role: Mapped[str | None] = mapped_column(String(16))
    actor_merchant_id: Mapped[UUID | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # `refused`: a mutating request answered 401/403/409; nothing changed but the attempt.
    outcome: Mapped[str] = mapped_column(
        String(16), default="succeeded", server_default="succeeded"
    )

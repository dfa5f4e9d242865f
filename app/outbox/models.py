"""The outbox: every announced change, written in the transaction of the change that caused it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import DateTime, Index, String, Uuid
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, new_id, utcnow


class OutboxEvent(Base):
    """`type` is dotted (`listing.approved`); `merchant_ids` are the merchants it concerns,
    who read it in full (who else sees it, and what of it: app/outbox/audience.py, with each
    domain's rule in its `audience.py`); `data` is what webhooks deliver.

    One of Shushang's three kinds of "events": the outbox's, announced to clients at
    `/v1/events` and by webhooks; not a listing's history (`ListingEvent`) nor a trade's
    own steps (`TradeEvent`), which it announces."""

    __tablename__ = "outbox_event"
    __table_args__ = (
        Index("ix_outbox_event_type", "type", "id"),
        Index("ix_outbox_event_merchant_ids", "merchant_ids", postgresql_using="gin"),
        Index("ix_outbox_event_created_at", "created_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    type: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    merchant_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid()))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

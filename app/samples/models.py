"""The `product_sample` table and `sample_chunk`, where the sample's bytes are kept.

Samples are stored in PostgreSQL, in chunks of 1 MiB, so every API process (and a
backup of the database) has them, and an assessor's read streams them back in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, new_id, utcnow

CHUNK_BYTES = 1024 * 1024


class Sample(Base):
    __tablename__ = "product_sample"
    __table_args__ = (Index("ix_product_sample_product_id", "product_id", "id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    product_id: Mapped[UUID] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    product_revision: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str | None] = mapped_column(String(255))
    media_type: Mapped[str | None] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(BigInteger)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    uploaded_by_key_id: Mapped[UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SampleChunk(Base):
    __tablename__ = "sample_chunk"

    sample_id: Mapped[UUID] = mapped_column(
        ForeignKey("product_sample.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)

"""A sample as the API shows it: its profile and the SHA-256 of the bytes received."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from app.samples.profile import SampleFormat, ValueType


class ColumnOut(BaseModel):
    name: str
    type: ValueType = Field(description="The type every value fits; `string` for a mixture.")
    nulls: int = Field(description="Empty cells (CSV) or null/missing values (JSON Lines).")
    non_null: int
    type_counts: dict[str, int] = Field(description="How many values looked like each type.")


class SampleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    product_id: UUID
    product_revision: int = Field(description="The product's revision when it was uploaded.")
    filename: str | None
    media_type: str | None
    format: SampleFormat
    encoding: str = Field(description="`utf-8`, `utf-8-sig` (with BOM) or `gb18030` (GBK).")
    size_bytes: int
    sha256: str = Field(description="Hex SHA-256 of exactly the bytes received.")
    rows: int
    columns: list[ColumnOut]
    created_at: datetime

"""Venue as the API reads and writes it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_serializer

from app.core.regions import RegionCode
from app.core.text import Name

FeeRate = Annotated[
    str,
    Field(
        pattern=r"^0(\.[0-9]{1,6})?$",
        description="Fee as a share of the trade amount, a decimal string below 1 (e.g. `0.003`).",
        examples=["0.003"],
    ),
]


class NegativeListRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,39}$")]
    kind: Literal["classification", "source_lawfulness", "personal_info_basis", "keywords"]
    values: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=500
    )
    description: Annotated[str, Field(max_length=500)] = ""


class VenueCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[
        str, Field(pattern=r"^[A-Z][A-Z0-9]{1,15}$", description="Upper-case code, e.g. `ZJBDEX`.")
    ]
    name: Name
    name_en: Annotated[str | None, Field(max_length=200)] = None
    region_code: RegionCode | None = None
    fee_rate: FeeRate = "0"
    negative_list: list[NegativeListRule] | None = Field(
        default=None, description="Omit for the default negative list of DOMAIN.md."
    )


class VenueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    name_en: str | None
    region_code: str | None
    fee_rate: Annotated[Decimal, Field(description="Decimal string, e.g. `0.003`.")]
    negative_list: list[dict[str, Any]]
    negative_list_version: int
    created_at: datetime
    updated_at: datetime
    version: int

    @field_serializer("fee_rate")
    def _plain_decimal(self, rate: Decimal) -> str:
        return format(rate.normalize(), "f")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def id(self) -> str:
        """A venue's id is its code."""
        return self.code


class NegativeListIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: Annotated[list[NegativeListRule], Field(max_length=200)]


class NegativeListOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    venue_code: str
    version: int
    rules: list[dict[str, Any]]
    created_by_key_id: UUID | None
    created_at: datetime

"""Listings as the API reads and writes them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator

from app.core.money import Amount, cents
from app.listings.states import ListingStatus


class PriceModel(StrEnum):
    """一次性买断, 订阅 (per month or year), 按次, 按条, 面议 (no amount)."""

    one_time = "one_time"
    subscription = "subscription"
    per_call = "per_call"
    per_row = "per_row"
    negotiable = "negotiable"


class PriceUnit(StrEnum):
    month = "month"
    year = "year"


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: PriceModel
    amount: Amount | None = None
    unit: PriceUnit | None = Field(default=None, description="Subscriptions only: month or year.")

    @model_validator(mode="after")
    def _consistent(self) -> Price:
        if self.model is PriceModel.negotiable:
            if self.amount is not None:
                raise ValueError("a negotiable price has no amount")
        elif self.amount is None or Decimal(self.amount) <= 0:
            raise ValueError("this price model needs an amount above 0")
        if (self.model is PriceModel.subscription) != (self.unit is not None):
            raise ValueError("a subscription, and only a subscription, has a unit (month or year)")
        return self


class ListingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: UUID
    venue_code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{1,15}$", examples=["HZDEX"])]
    price: Price
    trial_terms: Annotated[str | None, Field(max_length=2000, description="试用条款.")] = None
    licence: Annotated[str | None, Field(max_length=20_000, description="使用许可.")] = None


class Transition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[
        str | None,
        Field(min_length=2, max_length=2000, description="Required to reject, suspend and delist."),
    ] = None


class PriceOut(BaseModel):
    model: PriceModel
    amount: Decimal | None
    unit: PriceUnit | None
    currency: str

    @field_serializer("amount")
    def _money(self, amount: Decimal | None) -> str | None:
        return None if amount is None else cents(amount)


class ListingOut(BaseModel):
    id: UUID
    product_id: UUID
    venue_code: str
    merchant_id: UUID
    status: ListingStatus
    price: PriceOut
    trial_terms: str | None
    licence: str | None
    listed_at: datetime | None
    allowed_actions: list[str] = Field(
        description="The steps the caller may take on this listing now: an operator every "
        "step the state allows, the listing's merchant its own (submit, delist), anyone else none."
    )
    created_at: datetime
    updated_at: datetime
    version: int


class ListingEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    listing_id: UUID
    action: str
    from_status: ListingStatus | None
    to_status: ListingStatus
    reason: str | None = Field(
        description="Null unless the caller is an operator, an auditor or the listing's merchant."
    )
    automatic: bool = Field(
        description="Taken by the system (`actor_role` `system`): a new product revision, a "
        "retired product, a failed compliance re-assessment."
    )
    actor_key_id: UUID | None = Field(
        description="Null unless the caller is an operator, an auditor or the listing's merchant."
    )
    actor_role: str | None
    request_id: str | None = Field(
        description="Null unless the caller is an operator, an auditor or the listing's merchant."
    )
    details: dict[str, Any] = Field(
        description="Empty unless the caller is an operator, an auditor or the listing's merchant."
    )
    created_at: datetime

    def redacted(self) -> ListingEventOut:
        """The step alone, for callers who see the listing but not its internals (another
        merchant, an assessor, …): no key, request, reason or details."""
        return self.model_copy(
            update={"actor_key_id": None, "request_id": None, "reason": None, "details": {}}
        )
